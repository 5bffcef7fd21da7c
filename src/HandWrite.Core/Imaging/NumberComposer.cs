namespace HandWrite.Core.Imaging;

/// <summary>
/// Writes a number made of separate single-digit pictures side by side on one white sheet, to measure how
/// well whole numbers are read from real handwriting (each digit keeps its own strokes and ink).
/// </summary>
public static class NumberComposer
{
    /// <summary>Gap between neighbours, in digit heights: from nearly touching to well apart.</summary>
    internal const double MinGap = 0.08, MaxGap = 0.5;
    /// <summary>Each digit's size varies by up to this fraction, and its baseline by half of it (in line heights).</summary>
    internal const double HeightJitter = 0.12;
    /// <summary>Paper around the line, in digit heights.</summary>
    internal const double Margin = 0.4;
    /// <summary>Line height cap in pixels: large drawings are shrunk to it, small ones keep their size.</summary>
    internal const int MaxLineHeight = 160;

    /// <summary>
    /// Crops the ink of each file (found as the single-digit path finds it), scales all crops alike so their
    /// median height is at most <see cref="MaxLineHeight"/> (each varied a little), places
    /// them left to right with random gaps and baseline shifts, and saves a greyscale PNG (dark ink on white).
    /// </summary>
    /// <returns>Where each digit was placed in <paramref name="outPng"/>, in file order.</returns>
    /// <exception cref="HandWriteException">A file cannot be read or holds no digit; the PNG cannot be written.</exception>
    public static IReadOnlyList<DigitBox> Compose(IReadOnlyList<string> digitFiles, int seed, string outPng)
    {
        var (sheet, boxes) = Draw(digitFiles, seed);
        GrayPng.Save(sheet.Data.Select(v => 1f - v).ToArray(), sheet.Width, sheet.Height, outPng);
        return boxes;
    }

    /// <summary>The composed sheet as ink darkness (0 = paper, 1 = full ink) and each digit's box.</summary>
    internal static (Plane Ink, IReadOnlyList<DigitBox> Boxes) Draw(IReadOnlyList<string> digitFiles, int seed)
    {
        ArgumentNullException.ThrowIfNull(digitFiles);
        if (digitFiles.Count == 0)
            throw new HandWriteException("No digit files were given. Pass one image file per digit of the number.", HandWriteErrorKind.InvalidArgument);
        var crops = digitFiles.Select(InkCrop).ToList();
        var random = new Random(seed);
        int medianHeight = crops.Select(c => c.Height).Order().ElementAt(crops.Count / 2), lineHeight = Math.Min(MaxLineHeight, medianHeight);

        var placed = new List<(Plane Crop, int X, int Y)>();
        int margin = (int)Math.Ceiling(Margin * lineHeight), x = margin, bottom = 0;
        // One scale for the whole line, so each drawing keeps its size relative to the others (a flat 0 stays
        // flat rather than being stretched into a wide one), plus a little jitter per digit.
        double lineScale = (double)lineHeight / medianHeight;
        foreach (var crop in crops)
        {
            double f = lineScale * (1 + HeightJitter * (2 * random.NextDouble() - 1));
            var scaled = crop.Resize(Math.Max(1, (int)Math.Round(crop.Width * f)), Math.Max(1, (int)Math.Round(crop.Height * f)));
            int y = margin + (int)Math.Round(lineHeight * (1 + HeightJitter / 2 * (2 * random.NextDouble() - 1))) - scaled.Height;
            placed.Add((scaled, x, y));
            x += scaled.Width + (int)Math.Round(lineHeight * (MinGap + (MaxGap - MinGap) * random.NextDouble()));
            bottom = Math.Max(bottom, y + scaled.Height);
        }
        int top = placed.Min(p => p.Y);
        int shift = margin - Math.Min(top, margin); // keep a margin above a digit raised by the jitter
        var sheet = new Plane(placed[^1].X + placed[^1].Crop.Width + margin, bottom + shift + margin);
        var boxes = new List<DigitBox>();
        foreach (var (crop, left, y) in placed)
        {
            int top0 = y + shift;
            for (int cy = 0; cy < crop.Height; cy++)
                for (int cx = 0; cx < crop.Width; cx++)
                {
                    // Darker wins where neighbours overlap, as with ink on paper.
                    int i = (top0 + cy) * sheet.Width + left + cx;
                    sheet.Data[i] = Math.Max(sheet.Data[i], Math.Clamp(crop[cx, cy], 0f, 1f));
                }
            boxes.Add(new DigitBox(left, top0, crop.Width, crop.Height));
        }
        return (sheet, boxes);
    }

    /// <summary>The file's ink contrast (paper = 0), as the single-digit path keeps it (no specks or sheet
    /// edges; lighting removed), cropped to the ink.</summary>
    static Plane InkCrop(string file)
    {
        using var working = ImageDecoding.DecodeUpright(ImageDecoding.ReadFile(file), file, out _);
        var ink = InkSegmentation.Extract(working, out var reason)
            ?? throw new HandWriteException($"'{file}' holds no digit: {reason} Pass pictures of single digits.", HandWriteErrorKind.InvalidData, target: file);
        var b = ink.Bounds; // plus the 1 px soft rim the layer keeps around the ink
        return ink.Contrast.Crop(b.Left - 1, b.Top - 1, b.Width + 2, b.Height + 2);
    }
}
