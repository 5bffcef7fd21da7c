using HandWrite.Core.Imaging;

namespace HandWrite.Tests.Imaging;

/// <summary>Shared checks that a 28x28 input is laid out as MNIST's are.</summary>
internal static class PixelAssert
{
    public static (int Left, int Top, int Width, int Height) InkBounds(float[] pixels, float level = 0f)
    {
        int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                if (pixels[y * 28 + x] > level) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); }
        return x1 < 0 ? (0, 0, 0, 0) : (x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    public static (float X, float Y) CentreOfMass(float[] pixels) => HandWrite.Core.Imaging.MnistLayout.CentreOfMass(pixels, 28, 28);

    /// <summary>784 finite values in [0,1], ink box fits 20x20 with its longest side 19-20 px,
    /// centre of mass within 1 px of (14, 14) (pixel centres at integer coordinates), some full ink.</summary>
    public static void IsMnistLike(float[] pixels, string what)
    {
        Assert.Equal(784, pixels.Length);
        Assert.All(pixels, v => Assert.True(float.IsFinite(v) && v >= 0f && v <= 1f, $"{what}: pixel {v} outside [0,1]"));
        var box = InkBounds(pixels);
        Assert.True(box.Width <= 20 && box.Height <= 20, $"{what}: ink box {box.Width}x{box.Height} exceeds 20x20");
        Assert.True(Math.Max(box.Width, box.Height) >= 19, $"{what}: ink box {box.Width}x{box.Height} does not fill 20 px");
        var (cx, cy) = CentreOfMass(pixels);
        Assert.True(Math.Abs(cx - 14f) <= 1f && Math.Abs(cy - 14f) <= 1f, $"{what}: centre of mass ({cx:0.00}, {cy:0.00}) not within 1 px of (14, 14)");
        Assert.True(pixels.Max() >= 0.9f, $"{what}: strongest ink {pixels.Max():0.00}, expected full-intensity stroke cores");
    }
}

internal static class PixelCompare
{
    /// <summary>Mean absolute difference of two 28x28 inputs at the best whole-pixel shift of at most 1 px
    /// (centring rounds to whole pixels, so equal digits can land one pixel apart).</summary>
    public static float Distance(float[] a, float[] b)
    {
        float best = float.MaxValue;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                double sum = 0;
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                    {
                        int sx = x + dx, sy = y + dy;
                        float other = sx is >= 0 and < 28 && sy is >= 0 and < 28 ? b[sy * 28 + sx] : 0f;
                        sum += Math.Abs(a[y * 28 + x] - other);
                    }
                best = Math.Min(best, (float)(sum / 784));
            }
        return best;
    }
}
