using SkiaSharp;

namespace HandWrite.Core.Imaging;

/// <summary>Skia resizing with the filter each direction needs.</summary>
internal static class Resampling
{
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);

    /// <summary>
    /// Area-averaging shrink: repeated exact halvings (bilinear at half size averages 2x2 blocks) and a
    /// final bilinear step of less than 2x. Same result as mipmapped sampling for thin strokes (they fade
    /// rather than vanish) but several times faster than Skia building a mip chain per call.
    /// Enlarging uses Mitchell cubic: smooth contours without ringing.
    /// </summary>
    public static SKBitmap Resize(SKBitmap source, int width, int height)
    {
        if (width == source.Width && height == source.Height)
            return Checked(source.Copy());
        if (width >= source.Width && height >= source.Height)
            return Checked(source.Resize(source.Info.WithSize(width, height), new SKSamplingOptions(SKCubicResampler.Mitchell)));
        SKBitmap current = source;
        while (current.Width >= 2 * width && current.Height >= 2 * height)
        {
            var half = Checked(current.Resize(current.Info.WithSize(current.Width / 2, current.Height / 2), Bilinear));
            if (!ReferenceEquals(current, source)) current.Dispose();
            current = half;
        }
        var result = Checked(current.Resize(current.Info.WithSize(width, height), Bilinear));
        if (!ReferenceEquals(current, source)) current.Dispose();
        return result;
    }

    /// <summary>A new bitmap whose longest side is <paramref name="longestSide"/>, aspect kept (area averaging when shrinking).</summary>
    public static SKBitmap ResizeLongestSide(SKBitmap source, int longestSide)
    {
        double f = (double)longestSide / Math.Max(source.Width, source.Height);
        return Resize(source, Math.Max(1, (int)Math.Round(source.Width * f)), Math.Max(1, (int)Math.Round(source.Height * f)));
    }

    private static SKBitmap Checked(SKBitmap? bitmap) =>
        bitmap ?? throw new InvalidOperationException("Skia could not resize the image.");
}
