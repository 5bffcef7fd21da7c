using HandWrite.Core;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Reports;
using HandWrite.Core.Training;
using SkiaSharp;

namespace HandWrite.Tests.Reports;

public sealed class ChartsTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("handwrite-charts-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string PathFor(string name) => Path.Combine(_root, "nested", "reports", name);

    static SKBitmap Decode(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        return SKBitmap.Decode(bytes) ?? throw new Xunit.Sdk.XunitException($"{path} does not decode");
    }

    static List<EpochMetrics> History(int epochs) =>
        Enumerable.Range(1, epochs).Select(e => new EpochMetrics(e, 0.5 / e, 0.90 + 0.008 * e, 0.45 / e + 0.01 * e, 0.92 + 0.006 * e,
            1e-3, TimeSpan.FromSeconds(20), 2500, IsBest: e == epochs - 1)).ToList();

    static int[,] Matrix(int seed)
    {
        var random = new Random(seed);
        var matrix = new int[10, 10];
        for (int r = 0; r < 10; r++)
            for (int c = 0; c < 10; c++)
                matrix[r, c] = r == c ? 950 + random.Next(60) : random.Next(4) == 0 ? random.Next(12) : 0;
        return matrix;
    }

    static Failure FailureWith(float ink, string source = "mnist-test#3") => new(source, 3, 5, 0.71, Enumerable.Repeat(ink, 784).ToArray());

    /// <summary>How many pixels differ between two same-sized images inside <paramref name="region"/>.</summary>
    static int DifferentPixels(SKBitmap a, SKBitmap b, SKRectI region)
    {
        int count = 0;
        for (int y = region.Top; y < region.Bottom; y++)
            for (int x = region.Left; x < region.Right; x++)
                if (a.GetPixel(x, y) != b.GetPixel(x, y)) count++;
        return count;
    }

    void AssertNoTempFiles() =>
        Assert.Empty(Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories));

    [Fact]
    public void Training_curve_is_a_readable_png_in_a_created_folder()
    {
        var path = PathFor("curve.png");

        Charts.TrainingCurve(History(10), path);

        using var image = Decode(path);
        Assert.Equal((1000, 800), (image.Width, image.Height));
        Assert.InRange(new FileInfo(path).Length, 20_000, 2_000_000);
        AssertNoTempFiles();
    }

    [Fact]
    public void Training_curve_draws_the_data()
    {
        Charts.TrainingCurve(History(10), PathFor("a.png"));
        var flatter = History(10).Select(h => h with { TrainLoss = h.TrainLoss / 3 }).ToList();
        Charts.TrainingCurve(flatter, PathFor("b.png"));

        using var a = Decode(PathFor("a.png"));
        using var b = Decode(PathFor("b.png"));
        // The loss panel (top half) changes; the accuracy panel (bottom half, same data) does not.
        Assert.True(DifferentPixels(a, b, new SKRectI(0, 60, 1000, 380)) > 500);
        Assert.Equal(0, DifferentPixels(a, b, new SKRectI(0, 420, 1000, 800)));
    }

    [Fact]
    public void Training_curve_handles_one_epoch_and_missing_validation()
    {
        var history = History(1).Select(h => h with { ValidationLoss = double.NaN, ValidationAccuracy = double.NaN, IsBest = true }).ToList();

        Charts.TrainingCurve(history, PathFor("one.png"));

        using var image = Decode(PathFor("one.png"));
        Assert.Equal(1000, image.Width);
    }

    [Fact]
    public void Training_curve_of_no_epochs_is_an_invalid_argument()
    {
        var ex = Assert.Throws<HandWriteException>(() => Charts.TrainingCurve([], PathFor("none.png")));
        Assert.Equal(HandWriteErrorKind.InvalidArgument, ex.Kind);
        Assert.False(File.Exists(PathFor("none.png")));
    }

    [Fact]
    public void Confusion_matrix_image_depends_on_the_matrix_and_on_the_title_text()
    {
        Charts.ConfusionMatrix(Matrix(1), PathFor("m1.png"), "MNIST test");
        Charts.ConfusionMatrix(Matrix(1), PathFor("m1-again.png"), "MNIST test");
        Charts.ConfusionMatrix(Matrix(2), PathFor("m2.png"), "MNIST test");
        Charts.ConfusionMatrix(Matrix(1), PathFor("m1-other-title.png"), "Wild digits");

        using var m1 = Decode(PathFor("m1.png"));
        using var again = Decode(PathFor("m1-again.png"));
        using var m2 = Decode(PathFor("m2.png"));
        using var retitled = Decode(PathFor("m1-other-title.png"));
        Assert.Equal((820, 800), (m1.Width, m1.Height));
        var cells = new SKRectI(60, 60, 800, 740);
        var titleStrip = new SKRectI(0, 0, 820, 40);
        Assert.Equal(0, DifferentPixels(m1, again, new SKRectI(0, 0, 820, 800))); // deterministic
        Assert.True(DifferentPixels(m1, m2, cells) > 1000, "different counts must change the cells");
        // Glyphs are really drawn: only the title text differs, and it changes pixels in the title strip.
        Assert.True(DifferentPixels(m1, retitled, titleStrip) > 200, "title text must be visible");
        Assert.Equal(0, DifferentPixels(m1, retitled, cells));
    }

    [Fact]
    public void Confusion_matrix_shades_the_diagonal_darker_than_empty_cells()
    {
        var matrix = new int[10, 10];
        for (int i = 0; i < 10; i++) matrix[i, i] = 100;
        Charts.ConfusionMatrix(matrix, PathFor("diag.png"), "");

        using var image = Decode(PathFor("diag.png"));
        // The dark blue cells span the grid (black axes and text have no blue cast): their bounding box gives the cell size.
        static bool DarkBlue(SKColor c) => c.Blue - c.Red > 60 && c.Red < 60;
        int left = int.MaxValue, top = int.MaxValue, right = 0, bottom = 0;
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (DarkBlue(image.GetPixel(x, y))) (left, top, right, bottom) = (Math.Min(left, x), Math.Min(top, y), Math.Max(right, x), Math.Max(bottom, y));
        float cellW = (right - left + 1) / 10f, cellH = (bottom - top + 1) / 10f;
        SKColor Cell(int row, int col) => image.GetPixel((int)(left + (col + 0.2f) * cellW), (int)(top + (row + 0.2f) * cellH)); // off-centre: clear of the count
        Assert.InRange(cellW, 50, 90);
        for (int i = 0; i < 10; i++)
        {
            Assert.True(DarkBlue(Cell(i, i)), $"cell ({i},{i}) is {Cell(i, i)}");
            if (9 - i != i) Assert.True(Cell(i, 9 - i).Red > 230, $"cell ({i},{9 - i}) is {Cell(i, 9 - i)}");
        }
    }

    [Fact]
    public void Confusion_matrix_that_is_not_square_is_an_invalid_argument()
    {
        var ex = Assert.Throws<HandWriteException>(() => Charts.ConfusionMatrix(new int[10, 9], PathFor("bad.png"), "x"));
        Assert.Equal(HandWriteErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Failure_sheet_shows_the_model_input_pixels()
    {
        Charts.FailureSheet([FailureWith(1f)], PathFor("white.png"));
        Charts.FailureSheet([FailureWith(0f)], PathFor("black.png"));

        using var white = Decode(PathFor("white.png"));
        using var black = Decode(PathFor("black.png"));
        // The first tile's input square starts at (10, 54) and is 84 px wide.
        Assert.Equal(SKColors.White, white.GetPixel(52, 96));
        Assert.Equal(SKColors.Black, black.GetPixel(52, 96));
        Assert.True(DifferentPixels(white, black, new SKRectI(0, 140, white.Width, white.Height)) == 0, "captions are the same");
    }

    [Fact]
    public void Failure_sheet_puts_the_original_image_beside_the_input()
    {
        var original = Path.Combine(_root, "drawn-3.png");
        using (var bitmap = new SKBitmap(200, 100))
        {
            using (var canvas = new SKCanvas(bitmap)) canvas.Clear(SKColors.Red);
            File.WriteAllBytes(original, bitmap.Encode(SKEncodedImageFormat.Png, 100).ToArray());
        }

        Charts.FailureSheet([FailureWith(0f, original), FailureWith(0f)], PathFor("with-source.png"));

        using var sheet = Decode(PathFor("with-source.png"));
        var thumbnailCenter = sheet.GetPixel(10 + 84 + 6 + 42, 54 + 42);
        Assert.True(thumbnailCenter.Red > 200 && thumbnailCenter.Green < 60, $"thumbnail pixel {thumbnailCenter}");
        // The second failure has no file: its thumbnail slot stays background.
        int secondTile = 10 + (2 * 84 + 6 + 20);
        Assert.Equal(SKColors.White, sheet.GetPixel(secondTile + 84 + 6 + 42, 54 + 42));
    }

    [Fact]
    public void Failure_sheet_respects_max_and_handles_none()
    {
        var many = Enumerable.Range(0, 40).Select(i => FailureWith(i / 40f)).ToList();
        Charts.FailureSheet(many, PathFor("all.png"), max: 40);
        Charts.FailureSheet(many, PathFor("five.png"), max: 5);
        Charts.FailureSheet([], PathFor("none.png"));

        using var all = Decode(PathFor("all.png"));
        using var five = Decode(PathFor("five.png"));
        using var none = Decode(PathFor("none.png"));
        Assert.True(all.Height > 3 * five.Height, $"{all.Height} vs {five.Height}");
        Assert.InRange(none.Height, 50, 300);
        var ex = Assert.Throws<HandWriteException>(() => Charts.FailureSheet(many, PathFor("zero.png"), max: 0));
        Assert.Equal(HandWriteErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void Unwritable_destination_is_permission_denied_and_leaves_nothing()
    {
        var blocker = Path.Combine(_root, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var target = Path.Combine(blocker, "charts", "curve.png");

        foreach (var write in new Action[]
        {
            () => Charts.TrainingCurve(History(3), target),
            () => Charts.ConfusionMatrix(Matrix(1), target, "t"),
            () => Charts.FailureSheet([FailureWith(1f)], target),
        })
        {
            var ex = Assert.Throws<HandWriteException>(write);
            Assert.Equal(HandWriteErrorKind.PermissionDenied, ex.Kind);
            Assert.Contains(target, ex.Message);
        }
        AssertNoTempFiles();
    }

    [Fact]
    public void Rewriting_a_chart_replaces_it_atomically()
    {
        var path = PathFor("replace.png");
        Charts.ConfusionMatrix(Matrix(1), path, "first");
        var first = File.ReadAllBytes(path);

        Charts.ConfusionMatrix(Matrix(2), path, "second");

        Assert.NotEqual(first, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }
}
