using HandWrite.Core.Imaging;

namespace HandWrite.Tests.Imaging;

/// <summary>The managed resampling and blur the pipeline runs on every image.</summary>
public sealed class PlaneTests
{
    private static Plane Random(int width, int height, int seed)
    {
        var random = new Random(seed);
        return new Plane(width, height, Enumerable.Range(0, width * height).Select(_ => (float)random.NextDouble()).ToArray());
    }

    [Fact]
    public void ShrinkingAveragesAreasSoAThinLineFadesInsteadOfVanishing()
    {
        var plane = new Plane(100, 100);
        for (int x = 0; x < 100; x++) plane[x, 41] = 1f;
        var small = plane.Resize(25, 25);
        // Row 41 falls in output row 10 (source rows 40..43): a quarter of its area.
        for (int x = 0; x < 25; x++) Assert.Equal(0.25f, small[x, 10], 5);
        Assert.Equal(25 * 0.25f, small.Data.Sum(), 3);
    }

    [Theory]
    [InlineData(37, 23, 10, 7)]
    [InlineData(100, 80, 30, 80)]
    [InlineData(64, 64, 63, 17)]
    public void ShrinkingKeepsTheMeanForAnyRatio(int width, int height, int toWidth, int toHeight)
    {
        var plane = Random(width, height, width + toWidth);
        var small = plane.Resize(toWidth, toHeight);
        Assert.Equal(plane.Data.Average(), small.Data.Average(), 4);
        Assert.InRange(small.Data.Min(), plane.Data.Min() - 1e-5f, float.MaxValue);
        Assert.InRange(small.Data.Max(), float.MinValue, plane.Data.Max() + 1e-5f);
    }

    [Fact]
    public void EnlargingKeepsAConstantAndASmoothRampWithoutRinging()
    {
        var constant = new Plane(9, 7, Enumerable.Repeat(0.6f, 63).ToArray());
        Assert.All(constant.Resize(40, 31).Data, v => Assert.Equal(0.6f, v, 5));

        var step = new Plane(10, 1);
        for (int x = 5; x < 10; x++) step[x, 0] = 1f;
        var large = step.Resize(80, 3);
        // Mitchell's small negative lobes overshoot by a few percent at most; across the edge the ramp rises.
        Assert.InRange(large.Data.Min(), -0.05f, 0f);
        Assert.InRange(large.Data.Max(), 1f, 1.05f);
        for (int x = 34; x < 46; x++) Assert.True(large[x + 1, 1] > large[x, 1], $"the edge is not rising at {x}");
        Assert.Equal(0f, large[0, 1], 4);
        Assert.Equal(1f, large[79, 1], 4);
    }

    [Fact]
    public void BlurKeepsAConstantUpToTheBorders()
    {
        var plane = new Plane(50, 30, Enumerable.Repeat(0.8f, 1500).ToArray());
        Assert.All(plane.Blur(12f).Data, v => Assert.Equal(0.8f, v, 5));
    }

    [Theory]
    [InlineData(2f)]
    [InlineData(6f)]
    [InlineData(15f)]
    public void BlurIsCloseToAGaussianOfThatSigma(float sigma)
    {
        int side = (int)(sigma * 12) | 1, centre = side / 2;
        var impulse = new Plane(side, side);
        impulse[centre, centre] = 1f;
        var blurred = impulse.Blur(sigma);
        Assert.Equal(1f, blurred.Data.Sum(), 3);
        double variance = 0;
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                variance += blurred[x, y] * (x - centre) * (x - centre);
        // Three box passes approximate the Gaussian's spread within about 10% (box widths are whole pixels).
        Assert.InRange(Math.Sqrt(variance), 0.9 * sigma, 1.1 * sigma);

        // And its profile: compared with the exact Gaussian, the largest error is a small share of the peak.
        double peak = 1 / (2 * Math.PI * sigma * sigma), worst = 0;
        for (int x = 0; x < side; x++)
        {
            double exact = peak * Math.Exp(-(x - centre) * (x - centre) / (2.0 * sigma * sigma));
            worst = Math.Max(worst, Math.Abs(blurred[x, centre] - exact));
        }
        Assert.True(worst < 0.12 * peak, $"largest difference {worst / peak:P1} of the peak");
    }
}
