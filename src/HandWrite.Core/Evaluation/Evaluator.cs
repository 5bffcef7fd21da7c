using System.Diagnostics;
using System.IO.Enumeration;
using HandWrite.Core.Data;
using HandWrite.Core.Imaging;
using HandWrite.Core.Prediction;
using static TorchSharp.torch;

namespace HandWrite.Core.Evaluation;

/// <summary>
/// Measures a model (or the average of several: an ensemble) on the MNIST test set or on a folder of
/// labeled images laid out as &lt;set&gt;/.../&lt;digit&gt;/&lt;image&gt;.
/// </summary>
public static class Evaluator
{
    const int MaxFailuresKept = 500;
    static readonly HashSet<string> ImageExtensions = new(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ico", ".wbmp", ".heic", ".heif", ".avif", ".dng" };

    public static bool IsImageFile(string path) => ImageExtensions.Contains(Path.GetExtension(path));

    public static EvaluationReport OnMnistTest(string modelPath, string? dataPath, IProgress<DataProgress>? progress, CancellationToken ct) =>
        OnMnistTest([modelPath], dataPath, progress, ct);

    public static EvaluationReport OnMnistTest(IReadOnlyList<string> modelPaths, string? dataPath, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var predictor = DigitPredictor.For(modelPaths); // fail on a bad model before reading data
        var folder = MnistSource.Locate(dataPath, progress, ct);
        using var test = MnistDataset.LoadTest(folder);
        progress?.Report(new DataProgress("Testing on MNIST", $"{test.Count} test images", 0));
        var probabilities = predictor.ProbabilitiesPerImage(test.Images, ct);
        var truth = test.Labels.data<long>().Select(l => (int)l).ToArray();
        var pixels = test.Images.reshape(test.Count, 784);
        return Report(modelPaths, "MNIST test", truth, probabilities, _ => "MNIST test",
            i => $"mnist-test#{i}", i => pixels[i].data<float>().ToArray(), clock.Elapsed);
    }

    public static EvaluationReport OnLabeledFolder(string modelPath, string folder, Action<string, HandWriteException>? onBadFile,
        IProgress<DataProgress>? progress, CancellationToken ct) => OnLabeledFolder([modelPath], folder, onBadFile, progress, ct);

    public static EvaluationReport OnLabeledFolder(IReadOnlyList<string> modelPaths, string folder, Action<string, HandWriteException>? onBadFile,
        IProgress<DataProgress>? progress, CancellationToken ct, Preprocessing preprocessing = Preprocessing.HandWrite)
    {
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
            throw new HandWriteException($"The folder '{root}' does not exist. -LabeledFolder takes a folder of images in subfolders named 0 to 9.", HandWriteErrorKind.NotFound, target: root);
        var predictor = DigitPredictor.For(modelPaths);

        var files = LabeledTreeFiles(root)
            .Where(IsImageFile)
            .Select(f => (Path: f, Label: LabelOf(f)))
            .Where(f => f.Label is not null)
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
            throw new HandWriteException($"'{root}' holds no images in folders named 0 to 9. Lay them out as <folder>/<digit>/<image>.", HandWriteErrorKind.NotFound, target: root);

        var images = new List<(string Path, int Label, DigitImage Image)>();
        foreach (var (path, label) in files)
        {
            ct.ThrowIfCancellationRequested();
            try { images.Add((path, label!.Value, preprocessing == Preprocessing.Naive ? NaivePreprocessor.LoadImage(path) : DigitPreprocessor.Load(path))); }
            catch (HandWriteException ex) { onBadFile?.Invoke(path, ex); }
            if (images.Count % 20 == 0)
                progress?.Report(new DataProgress("Reading labeled images", Path.GetRelativePath(root, path), 100 * images.Count / files.Count));
        }
        if (images.Count == 0)
            throw new HandWriteException($"None of the images under '{root}' could be read.", HandWriteErrorKind.InvalidData, target: root);

        // Blank images get no prediction: they count as wrong (predicted -1), never as a guess.
        using var scope = NewDisposeScope();
        var readable = images.Select((x, i) => (x, i)).Where(t => t.x.Image.BlankReason is null).ToList();
        var probabilities = new float[images.Count][];
        for (int i = 0; i < images.Count; i++) probabilities[i] = new float[10];
        if (readable.Count > 0)
        {
            var flat = readable.SelectMany(t => t.x.Image.Pixels).ToArray();
            var batch = tensor(flat, [readable.Count, 1, 28, 28]);
            var averaged = predictor.ProbabilitiesPerImage(batch, ct);
            for (int j = 0; j < readable.Count; j++) probabilities[readable[j].i] = averaged[j];
        }
        return Report(modelPaths, root, images.Select(x => x.Label).ToArray(), probabilities,
            i => SetOf(root, images[i].Path), i => images[i].Path, i => images[i].Image.Pixels, clock.Elapsed);
    }

    /// <summary>Every file under <paramref name="root"/>, not descending into linked folders (a link back up would loop and count images again).</summary>
    static IEnumerable<string> LabeledTreeFiles(string root) =>
        new FileSystemEnumerable<string>(root, (ref FileSystemEntry e) => e.ToFullPath(),
            new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
        {
            ShouldIncludePredicate = (ref FileSystemEntry e) => !e.IsDirectory,
            ShouldRecursePredicate = (ref FileSystemEntry e) => (e.Attributes & FileAttributes.ReparsePoint) == 0,
        };

    /// <summary>The digit a file is labeled with: the name of its folder.</summary>
    static int? LabelOf(string path) =>
        Path.GetFileName(Path.GetDirectoryName(path)) is { Length: 1 } name && char.IsAsciiDigit(name[0]) ? name[0] - '0' : null;

    /// <summary>The first folder below the root (e.g. "paint-32px"), or the root's own name when labels sit right under it.</summary>
    static string SetOf(string root, string path)
    {
        var relative = Path.GetRelativePath(root, path).Split(Path.DirectorySeparatorChar);
        return relative.Length >= 3 ? relative[0] : Path.GetFileName(root);
    }

    static EvaluationReport Report(IReadOnlyList<string> modelPaths, string dataSet, int[] truth, float[][] probabilities,
        Func<int, string> setOf, Func<int, string> sourceOf, Func<int, float[]> pixelsOf, TimeSpan duration)
    {
        int n = truth.Length;
        var confusion = new int[10, 10];
        var failures = new List<Failure>();
        var sets = new Dictionary<string, (int Count, int Correct)>();
        int correct = 0;
        double loss = 0;
        for (int i = 0; i < n; i++)
        {
            var p = probabilities[i];
            float best = p.Max();
            int predicted = best > 0 ? Array.IndexOf(p, best) : -1;
            bool ok = predicted == truth[i];
            if (predicted >= 0) confusion[truth[i], predicted]++;
            correct += ok ? 1 : 0;
            loss -= Math.Log(Math.Max(p[truth[i]], 1e-12f));
            var set = setOf(i);
            sets[set] = sets.TryGetValue(set, out var s) ? (s.Count + 1, s.Correct + (ok ? 1 : 0)) : (1, ok ? 1 : 0);
            if (!ok && failures.Count < MaxFailuresKept)
                failures.Add(new Failure(sourceOf(i), truth[i], predicted, best, pixelsOf(i)));
        }

        var perClass = Enumerable.Range(0, 10).Select(d =>
        {
            int tp = confusion[d, d];
            int predictedAs = Enumerable.Range(0, 10).Sum(t => confusion[t, d]);
            int support = truth.Count(t => t == d);
            double precision = predictedAs == 0 ? 0 : (double)tp / predictedAs;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new ClassMetrics(d, precision, recall, f1, support);
        }).ToList();

        return new EvaluationReport
        {
            ModelPath = string.Join(", ", modelPaths.Select(Path.GetFullPath)),
            DataSet = dataSet,
            Accuracy = n == 0 ? 0 : (double)correct / n,
            Loss = n == 0 ? 0 : loss / n,
            Count = n,
            Correct = correct,
            PerClass = perClass,
            ConfusionMatrix = confusion,
            PerSet = sets.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new SetAccuracy(kv.Key, kv.Value.Count, kv.Value.Correct, (double)kv.Value.Correct / kv.Value.Count)).ToList(),
            Failures = failures,
            Duration = duration,
        };
    }
}
