using HandWrite.Core.Evaluation;
using HandWrite.Core.Training;
using ScottPlot;
using SkiaSharp;

namespace HandWrite.Core.Reports;

/// <summary>PNG reports: the training curve, the confusion matrix and a sheet of misclassified inputs. Each file is written atomically.</summary>
public static class Charts
{
    static readonly ScottPlot.Color TrainColor = ScottPlot.Color.FromHex("#1f77b4");
    static readonly ScottPlot.Color ValidationColor = ScottPlot.Color.FromHex("#ff7f0e");
    static readonly ScottPlot.Color BestColor = ScottPlot.Color.FromHex("#2ca02c");

    /// <summary>Loss (top) and accuracy (bottom) of training and validation per epoch; the best epoch is marked.</summary>
    public static void TrainingCurve(IReadOnlyList<EpochMetrics> history, string pngPath)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
            throw new HandWriteException("There is nothing to plot: the training history has no epochs.", HandWriteErrorKind.InvalidArgument);

        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        // Accuracies are fractions (0..1); plot them as percentages, which is how people read them.
        double percentScale = history.All(h => !(h.TrainAccuracy > 1 || h.ValidationAccuracy > 1)) ? 100 : 1;
        var best = history.LastOrDefault(h => h.IsBest);

        var multiplot = new Multiplot();
        multiplot.AddPlots(2);
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();
        var loss = multiplot.GetPlot(0);
        var accuracy = multiplot.GetPlot(1);

        AddSeries(loss, epochs, history.Select(h => h.TrainLoss), "training", TrainColor);
        AddSeries(loss, epochs, history.Select(h => h.ValidationLoss), "validation", ValidationColor);
        AddSeries(accuracy, epochs, history.Select(h => h.TrainAccuracy * percentScale), "training", TrainColor);
        AddSeries(accuracy, epochs, history.Select(h => h.ValidationAccuracy * percentScale), "validation", ValidationColor);

        bool validated = history.Any(h => !double.IsNaN(h.ValidationAccuracy));
        loss.Title(best is null ? $"Training: {history.Count} epoch(s)"
            : !validated ? $"Training: no validation images; epoch {best.Epoch} kept"
            : $"Training: best validation accuracy {best.ValidationAccuracy * percentScale:0.00}% at epoch {best.Epoch}");
        loss.YLabel("loss (cross-entropy)");
        accuracy.YLabel("accuracy (%)");
        accuracy.XLabel("epoch");
        foreach (var plot in new[] { loss, accuracy })
        {
            if (best is not null)
            {
                var line = plot.Add.VerticalLine(best.Epoch, 1.5f, BestColor, LinePattern.Dashed);
                line.LegendText = validated ? $"best (epoch {best.Epoch})" : $"kept (epoch {best.Epoch})";
            }
            if (epochs.Length <= 25) plot.Axes.Bottom.TickGenerator = IntegerTicks(epochs);
            plot.Axes.Bottom.Min = epochs.Min() - 0.5;
            plot.Axes.Bottom.Max = epochs.Max() + 0.5;
            // Loss falls and accuracy rises: the legend goes where each curve is not, late epochs' far corner.
            plot.ShowLegend(plot == loss ? Alignment.UpperRight : Alignment.LowerRight);
            Style(plot);
        }
        // Both panels read the same epochs: same x range, and the same left/right margins so the epochs line up.
        foreach (var plot in new[] { loss, accuracy }) plot.Axes.SetLimitsX(epochs.Min() - 0.5, epochs.Max() + 0.5);
        loss.Layout.Fixed(new PixelPadding(90, 25, 40, 50));
        accuracy.Layout.Fixed(new PixelPadding(90, 25, 60, 20));

        const int width = 1000, height = 800;
        ChartOutput.WriteAtomically(pngPath, ChartOutput.RenderPng(width, height, canvas => multiplot.Render(canvas, new PixelRect(0, width, height, 0))));
    }

    /// <summary>
    /// A heatmap with true classes as rows (top to bottom) and predictions as columns, every count written in its cell.
    /// Shading is the square root of the row share, so that small confusions stand out next to the large diagonal.
    /// </summary>
    public static void ConfusionMatrix(int[,] matrix, string pngPath, string title)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        int n = matrix.GetLength(0);
        if (n == 0 || n != matrix.GetLength(1) || n > 100)
            throw new HandWriteException($"A confusion matrix must be square with 1 to 100 classes; this one is {matrix.GetLength(0)}x{matrix.GetLength(1)}.", HandWriteErrorKind.InvalidArgument);
        if (matrix.Cast<int>().Any(v => v < 0))
            throw new HandWriteException("A confusion matrix holds counts; this one has negative entries.", HandWriteErrorKind.InvalidArgument);

        long total = 0, correct = 0;
        var shade = new double[n, n];
        for (int r = 0; r < n; r++)
        {
            long rowTotal = 0;
            for (int c = 0; c < n; c++) rowTotal += matrix[r, c];
            for (int c = 0; c < n; c++) shade[r, c] = rowTotal == 0 ? 0 : Math.Sqrt((double)matrix[r, c] / rowTotal);
            total += rowTotal;
            correct += matrix[r, r];
        }

        // Cells are drawn as rectangles rather than a Heatmap plottable: cell (r, c) sits exactly at (c, r) with no
        // orientation conventions to get wrong, and the colour ramp (white -> dark blue) is ours.
        var plot = new Plot();
        float fontSize = Math.Clamp(180f / n, 7f, 20f);
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                var cell = plot.Add.Rectangle(c - 0.5, c + 0.5, r + 0.5, r - 0.5);
                cell.FillColor = CellColor(shade[r, c]);
                cell.LineWidth = 0;
                var text = plot.Add.Text(matrix[r, c].ToString(), c, r);
                text.Alignment = Alignment.MiddleCenter;
                text.LabelFontSize = fontSize;
                text.LabelFontName = ChartOutput.FontName;
                text.LabelFontColor = shade[r, c] > 0.55 ? Colors.White : matrix[r, c] == 0 ? Colors.Gray : Colors.Black;
            }

        var ticks = IntegerTicks(Enumerable.Range(0, n).Select(i => (double)i).ToArray());
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimits(-0.5, n - 0.5, n - 0.5, -0.5); // inverted y: true class 0 at the top, as matrices are read
        plot.XLabel("predicted");
        plot.YLabel("true");
        string accuracy = total == 0 ? "no samples" : $"accuracy {100.0 * correct / total:0.00}% of {total:N0}";
        plot.Title(string.IsNullOrWhiteSpace(title) ? accuracy : $"{title}: {accuracy}");
        plot.Grid.IsVisible = false;
        plot.Layout.Fixed(new PixelPadding(70, 20, 60, 50)); // the grid does not move with the title's glyphs
        Style(plot);

        const int width = 820, height = 800;
        ChartOutput.WriteAtomically(pngPath, ChartOutput.RenderPng(width, height, canvas => plot.Render(canvas, width, height)));
    }

    static ScottPlot.Color CellColor(double shade)
    {
        var (light, dark) = (ScottPlot.Color.FromHex("#f7fbff"), ScottPlot.Color.FromHex("#08306b"));
        byte Mix(byte a, byte b) => (byte)Math.Round(a + (b - a) * Math.Clamp(shade, 0, 1));
        return new ScottPlot.Color(Mix(light.R, dark.R), Mix(light.G, dark.G), Mix(light.B, dark.B));
    }

    static void AddSeries(Plot plot, double[] xs, IEnumerable<double> values, string label, ScottPlot.Color color)
    {
        var ys = values.ToArray();
        var keep = Enumerable.Range(0, xs.Length).Where(i => double.IsFinite(ys[i])).ToArray();
        if (keep.Length == 0) return; // e.g. no validation split: nothing to draw, no empty legend entry
        var scatter = plot.Add.Scatter(keep.Select(i => xs[i]).ToArray(), keep.Select(i => ys[i]).ToArray(), color);
        scatter.LegendText = label;
        scatter.LineWidth = 2;
        scatter.MarkerSize = 6;
    }

    static ScottPlot.TickGenerators.NumericManual IntegerTicks(double[] positions)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var p in positions.Distinct()) ticks.AddMajor(p, p.ToString("0"));
        return ticks;
    }

    static void Style(Plot plot)
    {
        plot.Font.Set(ChartOutput.FontName);
        plot.Axes.Title.Label.FontSize = 18;
        plot.Axes.Left.Label.FontSize = 17;
        plot.Axes.Bottom.Label.FontSize = 17;
        plot.Axes.Left.TickLabelStyle.FontSize = 15;
        plot.Axes.Bottom.TickLabelStyle.FontSize = 15;
        plot.Legend.FontSize = 13;
    }

    // ---- failure sheet ----

    const int InputScale = 3;          // 28 px -> 84 px: large enough to see strokes, small enough for 100 tiles
    const int Box = 28 * InputScale;
    const int Gap = 6, Pad = 10, CaptionLine = 17, HeaderHeight = 44;
    const long MaxThumbnailPixels = 50_000_000; // decoding more than this per tile is not worth a thumbnail

    /// <summary>
    /// A grid of tiles, one per failure: the 28x28 model input (white ink on black) upscaled, and beside it a thumbnail of the
    /// original image when <see cref="Failure.Source"/> is an existing image file; the caption says "true 3 -> 5 (71%)".
    /// </summary>
    public static void FailureSheet(IReadOnlyList<Failure> failures, string pngPath, int max = 100)
    {
        ArgumentNullException.ThrowIfNull(failures);
        if (max < 1) throw new HandWriteException($"-Max must be at least 1 (got {max}).", HandWriteErrorKind.InvalidArgument);
        var shown = failures.Take(max).ToArray();
        var thumbnails = shown.Select(f => LoadThumbnail(f.Source)).ToArray();
        try
        {
            bool anyThumbnail = thumbnails.Any(t => t is not null);
            int tileWidth = Math.Max(150, (anyThumbnail ? 2 * Box + Gap : Box) + 2 * Pad);
            int tileHeight = Box + 2 * Pad + 2 * CaptionLine;
            int columns = Math.Clamp(1400 / tileWidth, 1, Math.Max(1, shown.Length));
            int rows = (shown.Length + columns - 1) / columns;
            int width = Math.Max(columns * tileWidth, 480), height = HeaderHeight + Math.Max(rows, 1) * tileHeight;

            var png = ChartOutput.RenderPng(width, height, canvas =>
            {
                using var headerFont = new SKFont(ChartOutput.Typeface, 20) { Edging = SKFontEdging.Antialias };
                using var captionFont = new SKFont(ChartOutput.Typeface, 14) { Edging = SKFontEdging.Antialias };
                using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
                using var faint = new SKPaint { Color = new SKColor(0x66, 0x66, 0x66), IsAntialias = true };
                using var frame = new SKPaint { Color = new SKColor(0xcc, 0xcc, 0xcc), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
                string header = failures.Count == 0 ? "No misclassified inputs"
                    : shown.Length < failures.Count ? $"Misclassified: {failures.Count} (showing the first {shown.Length})"
                    : $"Misclassified: {failures.Count}";
                canvas.DrawText(header, Pad, 30, SKTextAlign.Left, headerFont, ink);

                for (int i = 0; i < shown.Length; i++)
                {
                    float left = i % columns * tileWidth + Pad, top = HeaderHeight + i / columns * tileHeight + Pad;
                    var input = new SKRect(left, top, left + Box, top + Box);
                    DrawInput(canvas, shown[i].Pixels, input);
                    canvas.DrawRect(input, frame);
                    if (thumbnails[i] is { } thumbnail)
                    {
                        var slot = new SKRect(input.Right + Gap, top, input.Right + Gap + Box, top + Box);
                        canvas.DrawImage(thumbnail, Fit(thumbnail.Width, thumbnail.Height, slot), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
                        canvas.DrawRect(slot, frame);
                    }
                    var failure = shown[i];
                    double confidence = failure.Confidence <= 1 ? failure.Confidence * 100 : failure.Confidence;
                    float textWidth = tileWidth - 2 * Pad;
                    canvas.DrawText(Ellipsize($"true {failure.Truth} -> {failure.Predicted} ({confidence:0}%)", captionFont, textWidth),
                        left, top + Box + CaptionLine, SKTextAlign.Left, captionFont, ink);
                    canvas.DrawText(Ellipsize(ShortSource(failure.Source), captionFont, textWidth),
                        left, top + Box + 2 * CaptionLine, SKTextAlign.Left, captionFont, faint);
                }
            });
            ChartOutput.WriteAtomically(pngPath, png);
        }
        finally
        {
            foreach (var thumbnail in thumbnails) thumbnail?.Dispose();
        }
    }

    /// <summary>The model input as a grayscale image, drawn with nearest-neighbour scaling so its pixels stay visible.</summary>
    static void DrawInput(SKCanvas canvas, float[]? pixels, SKRect target)
    {
        int side = pixels is null ? 0 : (int)Math.Sqrt(pixels.Length);
        if (side == 0 || side * side != pixels!.Length)
        {
            using var missing = new SKPaint { Color = new SKColor(0xee, 0xee, 0xee) };
            canvas.DrawRect(target, missing);
            return;
        }
        var gray = new byte[pixels.Length];
        for (int i = 0; i < gray.Length; i++) gray[i] = (byte)Math.Round(Math.Clamp(float.IsFinite(pixels[i]) ? pixels[i] : 0f, 0f, 1f) * 255);
        using var image = SKImage.FromPixelCopy(new SKImageInfo(side, side, SKColorType.Gray8, SKAlphaType.Opaque), gray, side);
        canvas.DrawImage(image, target, new SKSamplingOptions(SKFilterMode.Nearest));
    }

    /// <summary>The original image, when the source is a readable image file of sane size; null otherwise (e.g. "mnist-test#17").</summary>
    static SKImage? LoadThumbnail(string? source)
    {
        if (string.IsNullOrEmpty(source) || !File.Exists(source)) return null;
        try
        {
            using var codec = SKCodec.Create(source);
            if (codec is null || (long)codec.Info.Width * codec.Info.Height > MaxThumbnailPixels) return null;
            using var bitmap = SKBitmap.Decode(codec);
            if (bitmap is null) return null;
            // Kept small (twice the slot, for sharp downscaling) so 100 photos do not hold 100 full decodes;
            // transparent drawings are shown on white, as an image viewer would.
            var size = Fit(bitmap.Width, bitmap.Height, SKRect.Create(0, 0, Math.Min(2 * Box, bitmap.Width), Math.Min(2 * Box, bitmap.Height)));
            using var surface = SKSurface.Create(new SKImageInfo(Math.Max(1, (int)size.Width), Math.Max(1, (int)size.Height)));
            if (surface is null) return null;
            surface.Canvas.Clear(SKColors.White);
            using var image = SKImage.FromBitmap(bitmap);
            surface.Canvas.DrawImage(image, SKRect.Create(0, 0, size.Width, size.Height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
            return surface.Snapshot();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    static SKRect Fit(int width, int height, SKRect slot)
    {
        float scale = Math.Min(slot.Width / width, slot.Height / height);
        float w = width * scale, h = height * scale;
        return SKRect.Create(slot.MidX - w / 2, slot.MidY - h / 2, w, h);
    }

    static string ShortSource(string? source) =>
        string.IsNullOrEmpty(source) ? "" : source.Contains('/') || source.Contains('\\') ? Path.GetFileName(source) : source;

    static string Ellipsize(string text, SKFont font, float width)
    {
        if (font.MeasureText(text) <= width) return text;
        while (text.Length > 1 && font.MeasureText(text + "...") > width) text = text[..^1];
        return text + "...";
    }
}
