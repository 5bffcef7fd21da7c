using HandWrite.Core;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Imaging;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Core.Prediction;
using SkiaSharp;
using static HandWrite.Tests.Core.CoreTestSupport;

namespace HandWrite.Tests.Core;

/// <summary>Evaluator.OnLabeledFolder on a tree of drawn digits built here: counting, bad files, layout errors.</summary>
[Collection(TorchCollection.Name)]
public sealed class EvaluatorFolderTests : IDisposable
{
    readonly TempFolder _temp = new();
    readonly string _model;

    public EvaluatorFolderTests()
    {
        TorchRuntime.EnsureInitialized();
        using var m = HandWriteCnn.Create(8);
        _model = _temp["model.hwm"];
        ModelFile.Save(m, new ModelMetadata(HandWriteCnn.ArchitectureName, 1, 8, 0.1, DateTimeOffset.UnixEpoch, "Seed"), _model);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Black strokes on white, the way a person draws a digit on paper.</summary>
    static void DrawDigit(string path, int digit, float jitter)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(120, 120);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            if (digit >= 0)
            {
                using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 9, StrokeCap = SKStrokeCap.Round };
                using var stroke = new SKPath();
                switch (digit)
                {
                    case 0: stroke.AddOval(new SKRect(35 + jitter, 20, 85, 100)); break;
                    case 7: stroke.MoveTo(30, 20); stroke.LineTo(90, 20 + jitter); stroke.LineTo(50, 100); break;
                    default: stroke.MoveTo(35, 40); stroke.CubicTo(40, 5, 95, 10, 80, 50 + jitter); stroke.LineTo(30, 100); stroke.LineTo(90, 100); break;
                }
                canvas.DrawPath(stroke, paint);
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void Counts_per_set_report_bad_files_and_skip_what_is_not_a_labeled_image()
    {
        var root = Directory.CreateDirectory(_temp["labeled"]).FullName;
        DrawDigit(Path.Combine(root, "canvas", "2", "a.png"), 2, 0);
        DrawDigit(Path.Combine(root, "canvas", "2", "b.png"), 2, 6);
        DrawDigit(Path.Combine(root, "canvas", "7", "a.png"), 7, 0);
        DrawDigit(Path.Combine(root, "paint", "0", "a.png"), 0, 0);
        DrawDigit(Path.Combine(root, "paint", "5", "blank.png"), -1, 0);  // nothing drawn: counted, and wrong
        DrawDigit(Path.Combine(root, "paint", "notes", "a.png"), 2, 0);  // not under a digit folder: not labeled
        var bad = Path.Combine(root, "canvas", "2", "bad.png");
        File.WriteAllText(bad, "this is text, not a PNG");
        File.WriteAllText(Path.Combine(root, "README"), "digits drawn by tests");
        File.WriteAllText(Path.Combine(root, "canvas", "7", "notes.txt"), "not an image");
        Assert.NotNull(DigitPreprocessor.Load(Path.Combine(root, "paint", "5", "blank.png")).BlankReason);

        var badFiles = new List<(string Path, HandWriteException Error)>();
        var report = Evaluator.OnLabeledFolder(_model, root, (p, e) => badFiles.Add((p, e)), null, default);

        var (badPath, error) = Assert.Single(badFiles);
        Assert.Equal(bad, badPath);
        Assert.Equal(HandWriteErrorKind.InvalidData, error.Kind);
        Assert.Equal(bad, error.Target);

        Assert.Equal(5, report.Count);
        Assert.Equal(new[] { ("canvas", 3), ("paint", 2) }, report.PerSet.Select(s => (s.Set, s.Count)));
        Assert.Equal(new[] { 1, 0, 2, 0, 0, 1, 0, 1, 0, 0 }, report.PerClass.Select(c => c.Support));
        var blank = Assert.Single(report.Failures, f => f.Source.EndsWith("blank.png"));
        Assert.Equal((5, -1), (blank.Truth, blank.Predicted));

        // Correct counts agree with predicting each file on its own.
        var predictor = DigitPredictor.For(_model);
        int CorrectIn(string set) => Directory.EnumerateFiles(Path.Combine(root, set), "*.png", SearchOption.AllDirectories)
            .Where(f => f != bad && Path.GetFileName(Path.GetDirectoryName(f))!.Length == 1)
            .Count(f => predictor.Predict([DigitPreprocessor.Load(f)])[0].Digit == int.Parse(Path.GetFileName(Path.GetDirectoryName(f))!));
        Assert.Equal(CorrectIn("canvas"), report.PerSet[0].Correct);
        Assert.Equal(CorrectIn("paint"), report.PerSet[1].Correct);
        Assert.Equal(report.PerSet.Sum(s => s.Correct), report.Correct);
        Assert.Equal(report.Count, report.ConfusionMatrix.Cast<int>().Sum() + 1); // the blank has no predicted column
        Assert.Equal(report.Correct / 5.0, report.Accuracy, 10);
    }

    [Fact]
    public void Digit_folders_right_under_the_root_form_one_set_named_after_the_root()
    {
        var root = Directory.CreateDirectory(_temp["flat"]).FullName;
        DrawDigit(Path.Combine(root, "7", "a.png"), 7, 0);
        DrawDigit(Path.Combine(root, "0", "a.png"), 0, 0);
        var report = Evaluator.OnLabeledFolder(_model, root, null, null, default);
        Assert.Equal(("flat", 2), (report.PerSet.Single().Set, report.PerSet.Single().Count));
    }

    [Fact]
    public void A_folder_without_digit_subfolders_is_NotFound_explaining_the_layout()
    {
        var root = Directory.CreateDirectory(_temp["unlabeled"]).FullName;
        DrawDigit(Path.Combine(root, "images", "a.png"), 2, 0);
        var ex = Throws(HandWriteErrorKind.NotFound, () => Evaluator.OnLabeledFolder(_model, root, null, null, default));
        Assert.Equal(root, ex.Target);
        Assert.Contains("<folder>/<digit>/<image>", ex.Message);

        var missing = _temp["missing"];
        Assert.Contains("subfolders named 0 to 9", Throws(HandWriteErrorKind.NotFound, () => Evaluator.OnLabeledFolder(_model, missing, null, null, default)).Message);
    }

    [Fact]
    public void A_tree_of_only_unreadable_images_is_InvalidData()
    {
        var root = Directory.CreateDirectory(_temp["junk"]).FullName;
        Directory.CreateDirectory(Path.Combine(root, "3"));
        File.WriteAllText(Path.Combine(root, "3", "x.png"), "text");
        int reported = 0;
        Throws(HandWriteErrorKind.InvalidData, () => Evaluator.OnLabeledFolder(_model, root, (_, _) => reported++, null, default));
        Assert.Equal(1, reported);
    }

    [Fact]
    public async Task A_symlink_loop_in_the_tree_neither_hangs_nor_counts_an_image_twice()
    {
        var root = Directory.CreateDirectory(_temp["looped"]).FullName;
        DrawDigit(Path.Combine(root, "set", "3", "a.png"), 7, 0);
        Directory.CreateSymbolicLink(Path.Combine(root, "set", "3", "again"), root);
        var run = Task.Run(() => Evaluator.OnLabeledFolder(_model, root, null, null, default));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(60))) == run, "evaluation did not finish");
        Assert.Equal(1, (await run).Count);
    }
}
