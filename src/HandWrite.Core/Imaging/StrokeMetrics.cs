namespace HandWrite.Core.Imaging;

/// <summary>Stroke measurements of a binary ink mask, used both to normalise and to check against MNIST.</summary>
internal static class StrokeMetrics
{
    internal readonly record struct Measurement(int Area, int BoundaryPixels, float Width, int LongestSide);

    /// <summary>
    /// Mean stroke width ~ area / centre-line length; the centre-line length of a stroke is about half its
    /// boundary pixel count (two sides), so width ~ 2 * area / boundary. Cheap, and good for strokes
    /// from about 2 px wide up.
    /// </summary>
    public static Measurement Measure(bool[] mask, int width, int height)
    {
        int area = 0, boundary = 0, x0 = width, y0 = height, x1 = -1, y1 = -1;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = y * width + x;
                if (!mask[i]) continue;
                area++;
                x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y);
                bool edge = x == 0 || y == 0 || x == width - 1 || y == height - 1
                    || !mask[i - 1] || !mask[i + 1] || !mask[i - width] || !mask[i + width];
                if (edge) boundary++;
            }
        float strokeWidth = boundary == 0 ? 0f : 2f * area / boundary;
        int longest = x1 < 0 ? 0 : Math.Max(x1 - x0 + 1, y1 - y0 + 1);
        return new Measurement(area, boundary, strokeWidth, longest);
    }

    /// <summary>Stroke width of a grey image (e.g. a 28x28 model input) measured at the 0.5 level.</summary>
    public static float Width(float[] pixels, int width, int height) =>
        Measure(pixels.Select(v => v >= 0.5f).ToArray(), width, height).Width;
}
