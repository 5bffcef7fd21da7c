using HandWrite.Core.Imaging;

namespace HandWrite.Tests.Imaging;

/// <summary>The real hand-drawn benchmark images (no model needed): every one must come out as an MNIST-like input.</summary>
public sealed class WildDigitsTests
{
    private const string Root = "/work/shared/wild-digits";

    public static TheoryData<string> Sets() => new() { "canvas-thin", "paint-32px" };

    [Theory]
    [MemberData(nameof(Sets))]
    public void EveryWildDigitBecomesACentredMnistLikeInput(string set)
    {
        var files = Directory.GetFiles(Path.Combine(Root, set), "*.png", SearchOption.AllDirectories).Order().ToList();
        Assert.NotEmpty(files);
        var images = new List<float[]>();
        var widths = new List<float>();
        foreach (var file in files)
        {
            var digit = DigitPreprocessor.Load(file);
            Assert.True(digit.BlankReason is null, $"{file}: {digit.BlankReason}");
            PixelAssert.IsMnistLike(digit.Pixels, file);
            images.Add(digit.Pixels);
            widths.Add(StrokeMetrics.Width(digit.Pixels, 28, 28));
        }
        ContactSheet.Save(images, TestEnvironment.ArtifactPath($"wild-{set}.png"));
        // Same band as MNIST's 5th..95th percentile stroke width (2.1..4.3 px at the 0.5 level), median near 2.8.
        widths.Sort();
        float median = widths[widths.Count / 2];
        Assert.InRange(median, 2.3f, 3.4f);
    }
}
