using HandWrite.Core.Imaging;

namespace HandWrite.Tests.Imaging;

/// <summary>Checks the layout conventions the preprocessor targets against the real MNIST training images,
/// with the same measuring functions the other tests use.</summary>
public sealed class MnistReferenceTests
{
    private const int Count = 2000;

    private static List<float[]> ReadFirstImages() => Enumerable.Range(0, Count).Select(MnistTrainingDigits.Image).ToList();

    [Fact]
    public void MnistMatchesTheConventionsThePreprocessorTargets()
    {
        var images = ReadFirstImages();
        var centres = images.Select(p => MnistLayout.CentreOfMass(p, 28, 28)).ToList();
        // Pixel centres at integer coordinates: MNIST's centre of mass averages (14, 14).
        Assert.InRange(centres.Average(c => c.X), MnistLayout.CentreOfMassTarget - 0.1, MnistLayout.CentreOfMassTarget + 0.1);
        Assert.InRange(centres.Average(c => c.Y), MnistLayout.CentreOfMassTarget - 0.1, MnistLayout.CentreOfMassTarget + 0.1);
        Assert.True(centres.Count(c => Math.Abs(c.X - 14) <= 1 && Math.Abs(c.Y - 14) <= 1) >= 0.99 * Count);
        // Ink box: longest side 20 (the fit box) for almost every digit, never more.
        var longest = images.Select(p => { var b = PixelAssert.InkBounds(p); return Math.Max(b.Width, b.Height); }).ToList();
        Assert.True(longest.Count(l => l is 19 or 20) >= 0.99 * Count);
        // Stroke width at the 0.5 level: the band the synthetic tests use.
        var widths = images.Select(p => StrokeMetrics.Width(p, 28, 28)).Order().ToList();
        Assert.InRange(widths[Count / 2], 2.5f, 3.1f);
        Assert.InRange(widths[Count / 20], 1.9f, 2.4f);
        Assert.InRange(widths[Count * 19 / 20], 3.9f, 4.6f);
        ContactSheet.Save(images.Take(120).ToList(), TestEnvironment.ArtifactPath("mnist-sample.png"));
    }
}
