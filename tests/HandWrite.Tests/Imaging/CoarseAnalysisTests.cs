using HandWrite.Core.Imaging;
using SkiaSharp;
using static HandWrite.Tests.Imaging.SyntheticDigits;

namespace HandWrite.Tests.Imaging;

/// <summary>Bold digits that fill the picture are analysed on a copy of about 96 px; everything else at full working size.
/// Both paths must give the same digit.</summary>
public sealed class CoarseAnalysisTests
{
    private static float[] FullResolution(SKBitmap working)
    {
        var ink = InkSegmentation.Extract(working, out var reason);
        Assert.True(ink is not null, reason);
        return MnistLayout.Layout(ink!);
    }

    [Theory]
    [InlineData(280, 26f)]
    [InlineData(400, 14f)]
    [InlineData(512, 40f)]
    public void BoldDigitIsReadOnTheSmallCopyAndMatchesTheFullResolutionResult(int side, float stroke)
    {
        float margin = side * 0.2f;
        using var working = Draw(side, side, SKColors.White, SKColors.Black, stroke, new SKRect(margin, margin, side - margin, side - margin));
        var coarse = DigitPreprocessor.FindInkCoarse(working);
        Assert.NotNull(coarse);
        Assert.True(coarse!.Contrast.Width <= 1.25 * DigitPreprocessor.CoarseSide, $"the coarse layer is the small copy ({coarse.Contrast.Width} px)");

        var viaCoarse = MnistLayout.Layout(coarse);
        var full = FullResolution(working);
        float distance = PixelCompare.Distance(viaCoarse, full);
        Assert.True(distance <= 0.03f, $"coarse vs full resolution differ by {distance:0.000}");
        // And the public entry point takes the coarse path.
        Assert.Equal(viaCoarse, DigitPreprocessor.Preprocess(working).Pixels);
    }

    [Fact]
    public void ThinStrokesAreAnalysedAtFullResolution()
    {
        using var working = Draw(512, 400, SKColors.White, SKColors.Black, 2f, new SKRect(150, 80, 350, 320));
        Assert.Null(DigitPreprocessor.FindInkCoarse(working));
        Assert.Equal(FullResolution(working), DigitPreprocessor.Preprocess(working).Pixels);
    }

    [Fact]
    public void SmallDigitInABigPictureIsAnalysedAtFullResolution()
    {
        using var working = Draw(512, 512, SKColors.White, SKColors.Black, 9f, new SKRect(300, 300, 360, 380));
        Assert.Null(DigitPreprocessor.FindInkCoarse(working));
    }

    [Fact]
    public void SmallPicturesAreNotShrunkFurther()
    {
        using var working = Draw(150, 150, SKColors.White, SKColors.Black, 14f, new SKRect(30, 30, 120, 120));
        Assert.Null(DigitPreprocessor.FindInkCoarse(working));
    }
}
