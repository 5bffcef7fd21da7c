using SkiaSharp;

namespace HandWrite.Core.Imaging;

/// <summary>
/// Turns any picture of a digit into the 28x28 input an MNIST-trained network expects, the way MNIST was
/// made: white ink on black, fitted into 20x20 keeping aspect ratio, centre of mass at the centre.
/// </summary>
/// <remarks>
/// Steps: decode the first frame, refusing declared sizes over 50 megapixels before decoding; apply the
/// EXIF origin; shrink to at most 512 px by area averaging (<see cref="ImageDecoding"/>). Find the ink
/// (<see cref="InkSegmentation"/>): alpha is the ink when the background is transparent, otherwise
/// luminance with polarity from the histogram's skew, paper subtracted by a morphological closing sized to
/// the strokes, ruled lines and sheet edges removed, Otsu with hysteresis, specks dropped, blank/noise
/// detection. Lay out (<see cref="MnistLayout"/>): crop, rebuild the strokes at MNIST's width from a signed
/// distance field, fit the longest side to 20 px with area averaging, shift by whole pixels so the centre
/// of mass is at (14, 14) in pixel-centre coordinates, as measured on MNIST.
/// </remarks>
public static class DigitPreprocessor
{
    /// <summary>Reads, decodes and preprocesses an image file.</summary>
    /// <exception cref="HandWriteException">NotFound, PermissionDenied, InvalidData or LimitsExceeded; Target = path.</exception>
    public static DigitImage Load(string path)
    {
        var bytes = ImageDecoding.ReadFile(path);
        return Decode(bytes, path);
    }

    /// <summary>Decodes encoded image bytes (PNG, JPEG, GIF first frame, BMP, WebP, ICO) and preprocesses them.</summary>
    /// <param name="nameForErrors">Names the input in error messages and is the exception's Target.</param>
    public static DigitImage Decode(ReadOnlySpan<byte> encoded, string nameForErrors)
    {
        using var working = ImageDecoding.DecodeUpright(encoded, nameForErrors, out var source);
        return Run(working, source.Width, source.Height);
    }

    /// <summary>Preprocesses an already decoded bitmap of any colour type.</summary>
    public static DigitImage Preprocess(SKBitmap bitmap)
    {
        ArgumentNullException.ThrowIfNull(bitmap);
        if (bitmap.Width <= 0 || bitmap.Height <= 0)
            throw new HandWriteException("The bitmap is empty (0 pixels). Pass a bitmap with a drawn digit.", HandWriteErrorKind.InvalidData);
        using var working = ImageDecoding.ToWorkingBitmap(bitmap);
        return Run(working, bitmap.Width, bitmap.Height);
    }

    /// <summary>Writes a 28x28 model input as an 8-bit greyscale PNG (white ink on black), for inspection.</summary>
    public static void SavePng(float[] pixels28, string path)
    {
        ArgumentNullException.ThrowIfNull(pixels28);
        if (pixels28.Length != DigitImage.Side * DigitImage.Side)
            throw new HandWriteException($"Expected {DigitImage.Side * DigitImage.Side} pixels (28x28), got {pixels28.Length}. Pass DigitImage.Pixels.",
                HandWriteErrorKind.InvalidArgument, target: path);
        GrayPng.Save(pixels28, DigitImage.Side, DigitImage.Side, path);
    }

    internal static DigitImage Run(SKBitmap working, int sourceWidth, int sourceHeight)
    {
        string? blankReason = null;
        var ink = FindInkCoarse(working) ?? InkSegmentation.Extract(working, out blankReason);
        if (ink is null) return DigitImage.Blank(blankReason!, sourceWidth, sourceHeight);
        return new DigitImage(MnistLayout.Layout(ink), null, sourceWidth, sourceHeight);
    }

    /// <summary>Long side of the small copy analysed first, roughly: the picture is shrunk by the whole factor
    /// nearest to longest side / CoarseSide, so the copy's long side is between about 80 and 120 px.</summary>
    internal const int CoarseSide = 96;
    /// <summary>The coarse result is kept only when its strokes are at least this wide (so they were not
    /// thinned away or merged by the shrink) ...</summary>
    internal const float MinCoarseStrokeWidth = 4f;
    /// <summary>... and the digit spans at least this many coarse pixels (well above the 20 px it is fitted to).</summary>
    internal const int MinCoarseExtent = 32;

    /// <summary>
    /// The ink found on a copy shrunk to about <see cref="CoarseSide"/> px, when that is enough: the output is 20 px,
    /// so a bold digit filling the picture keeps its shape at that size, and every later step costs a fraction
    /// (a 280 px picture has 9 times the pixels, a 512 px one 25 times). Thin strokes, a small digit in a big
    /// picture, or no ink found return null, and the full working image is analysed instead.
    /// </summary>
    internal static InkLayer? FindInkCoarse(SKBitmap working)
    {
        int longest = Math.Max(working.Width, working.Height);
        if (longest < 2 * CoarseSide) return null;
        // A whole factor: the shrink is exact block averaging fused with reading the pixels (no resampled bitmap).
        int factor = (int)Math.Round((double)longest / CoarseSide);
        var ink = InkSegmentation.Extract(InkSegmentation.ReadChannels(working, factor), out _);
        if (ink is null || ink.StrokeWidth < MinCoarseStrokeWidth) return null;
        return Math.Max(ink.Bounds.Width, ink.Bounds.Height) >= MinCoarseExtent ? ink : null;
    }
}

/// <summary>How images become network inputs: HandWrite's pipeline, or the naive baseline (for comparison).</summary>
public enum Preprocessing { HandWrite, Naive }

/// <summary>The baseline many hobby projects use, kept for comparison: greyscale (alpha dropped),
/// stretch to 28x28, scale to 0..1; no inversion, cropping or centring.</summary>
public static class NaivePreprocessor
{
    /// <summary>The baseline's input as a DigitImage, so it can go through the same evaluation.</summary>
    public static DigitImage LoadImage(string path) => new(Load(path), null, 0, 0);

    public static float[] Load(string path)
    {
        var bytes = ImageDecoding.ReadFile(path);
        using var working = ImageDecoding.DecodeUpright(bytes, path, out _);
        // Premultiplied luminance: a transparent pixel reads as black, as a plain "convert to L" does.
        var (luminance, _) = InkSegmentation.ReadChannels(working);
        var small = luminance.Resize(DigitImage.Side, DigitImage.Side);
        return small.Data.Select(v => Math.Clamp(v, 0f, 1f)).ToArray();
    }
}

/// <summary>8-bit greyscale PNG writing, shared by <see cref="DigitPreprocessor.SavePng"/> and the contact sheet.</summary>
internal static class GrayPng
{
    public static void Save(float[] pixels, int width, int height, string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new HandWriteException("No output path was given. Pass a .png file path.", HandWriteErrorKind.InvalidArgument, target: path);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var bytes = bitmap.GetPixelSpan();
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bytes[y * bitmap.RowBytes + x] = (byte)Math.Round(Math.Clamp(pixels[y * width + x], 0f, 1f) * 255f);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("Skia could not encode the PNG.");
        try
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(path));
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            using var file = File.Create(path);
            data.SaveTo(file);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new HandWriteException($"Cannot write '{path}': permission denied. Choose a folder you can write to.",
                HandWriteErrorKind.PermissionDenied, e, path);
        }
        catch (IOException e)
        {
            throw new HandWriteException($"Cannot write '{path}' (an I/O error occurred). Check the path and free disk space.",
                HandWriteErrorKind.InvalidArgument, e, path);
        }
    }
}
