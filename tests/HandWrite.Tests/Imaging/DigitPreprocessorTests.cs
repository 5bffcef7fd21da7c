using HandWrite.Core.Imaging;
using SkiaSharp;
using static HandWrite.Tests.Imaging.SyntheticDigits;

namespace HandWrite.Tests.Imaging;

/// <summary>Synthetic pictures of known digits under different paper, ink, lighting and geometry must all
/// come out as the same MNIST-like input as the plain black-on-white reference.</summary>
public sealed class DigitPreprocessorTests
{
    /// <summary>Same digit, different rendering: mean |difference| at most this (different digits are several times further).</summary>
    private const float SameDigit = 0.04f;

    private static readonly float[] ReferenceTwo = Run(Reference(Glyph.Two));

    private static float[] Run(SKBitmap bitmap, string what = "image")
    {
        using (bitmap)
        {
            var digit = DigitPreprocessor.Preprocess(bitmap);
            Assert.True(digit.BlankReason is null, $"{what}: unexpectedly blank: {digit.BlankReason}");
            PixelAssert.IsMnistLike(digit.Pixels, what);
            return digit.Pixels;
        }
    }

    private static void AssertSameAsReference(float[] pixels, string what)
    {
        float distance = PixelCompare.Distance(pixels, ReferenceTwo);
        Assert.True(distance <= SameDigit, $"{what}: differs from the reference by {distance:0.000} (limit {SameDigit})");
    }

    [Fact]
    public void ReferenceIsMnistLikeAndDistinguishesDigits()
    {
        PixelAssert.IsMnistLike(ReferenceTwo, "reference 2");
        var seven = Run(Reference(Glyph.Seven), "reference 7");
        var zero = Run(Reference(Glyph.Zero), "reference 0");
        // The similarity limit used below must separate different digits, or those tests could not fail.
        float twoToSeven = PixelCompare.Distance(seven, ReferenceTwo), twoToZero = PixelCompare.Distance(zero, ReferenceTwo);
        Assert.True(twoToSeven > 2.5f * SameDigit && twoToZero > 2.5f * SameDigit, $"2 vs 7: {twoToSeven:0.000}, 2 vs 0: {twoToZero:0.000}");
        // Background stays exactly 0 and the edges are soft (anti-aliased grey levels), as in MNIST.
        Assert.Equal(0f, ReferenceTwo[0]);
        // MNIST digits have 36..90 such pixels (5th..95th percentile), about 68 typically.
        Assert.InRange(ReferenceTwo.Count(v => v is > 0.1f and < 0.9f), 36, 90);
    }

    [Fact]
    public void LightInkOnDarkPaperGivesTheSameDigit() =>
        AssertSameAsReference(Run(Draw(300, 300, SKColors.Black, SKColors.White, 12, new SKRect(90, 70, 210, 230))), "white on black");

    [Fact]
    public void ChalkOnDarkGreenBoardGivesTheSameDigit() =>
        AssertSameAsReference(Run(Draw(300, 300, new SKColor(30, 70, 40), new SKColor(230, 230, 220), 12, new SKRect(90, 70, 210, 230))), "chalk on green");

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(220, 30, 30)]
    [InlineData(255, 255, 255)]
    public void StrokesOnTransparentBackgroundAreInkWhateverTheirColour(byte r, byte g, byte b)
    {
        var pixels = Run(Draw(300, 300, SKColors.Transparent, new SKColor(r, g, b), 12, new SKRect(90, 70, 210, 230)), $"rgb({r},{g},{b}) on transparent");
        AssertSameAsReference(pixels, $"rgb({r},{g},{b}) on transparent");
    }

    [Fact]
    public void PaperCutOutOnTransparentBackgroundUsesTheInkOnThePaper()
    {
        // An opaque white card (most of the picture) on transparency, with the digit in black on the card:
        // here the alpha channel outlines the card, and the ink is the dark strokes.
        void Card(SKCanvas canvas) { using var p = new SKPaint { Color = SKColors.White, IsAntialias = true }; canvas.DrawRoundRect(20, 20, 260, 260, 30, 30, p); }
        var pixels = Run(Draw(300, 300, SKColors.Transparent, SKColors.Black, 12, new SKRect(90, 70, 210, 230), background: Card), "card cut-out");
        AssertSameAsReference(pixels, "card cut-out");
    }

    [Theory]
    [InlineData(128, 20, 40, 200)]   // blue ballpoint on grey paper
    [InlineData(170, 200, 20, 20)]   // red ink on light grey
    [InlineData(110, 0, 120, 0)]     // green ink on dark grey: small luminance contrast
    [InlineData(245, 165, 165, 165)] // light pencil on white: under a third of full contrast
    [InlineData(250, 255, 200, 0)]   // yellow highlighter on white: ink lighter than most inks, still darker than paper
    public void ColouredInkOnGreyPaperGivesTheSameDigit(byte paper, byte r, byte g, byte b) =>
        AssertSameAsReference(Run(Draw(300, 300, new SKColor(paper, paper, paper), new SKColor(r, g, b), 12, new SKRect(90, 70, 210, 230))),
            $"rgb({r},{g},{b}) on grey {paper}");

    [Fact]
    public void UnevenLightingIsSubtracted()
    {
        // Paper brightness falls from 250 to 90 across the sheet, plus a dark shadow corner: a fixed
        // threshold would call the dark side ink.
        void Lighting(SKCanvas canvas)
        {
            using var gradient = new SKPaint
            {
                Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(300, 300),
                    [new SKColor(250, 250, 245), new SKColor(90, 90, 85)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, 300, 300, gradient);
        }
        var pixels = Run(Draw(300, 300, SKColors.White, new SKColor(20, 20, 30), 12, new SKRect(90, 70, 210, 230), background: Lighting), "gradient lighting");
        AssertSameAsReference(pixels, "gradient lighting");
    }

    [Fact]
    public void OnePixelStrokeOnLargeCanvasKeepsAnMnistStrokeWidth()
    {
        var pixels = Run(Draw(1500, 1000, SKColors.White, SKColors.Black, 1, new SKRect(600, 250, 900, 650)), "1 px stroke on 1500x1000");
        AssertSameAsReference(pixels, "1 px stroke on 1500x1000");
        Assert.InRange(StrokeMetrics.Width(pixels, 28, 28), 2.0f, 4.4f);
    }

    [Fact]
    public void ThickMarkerStrokeIsThinnedToAnMnistStrokeWidth()
    {
        var pixels = Run(Draw(400, 400, SKColors.White, SKColors.Black, 34, new SKRect(110, 80, 290, 320)), "34 px marker");
        Assert.InRange(StrokeMetrics.Width(pixels, 28, 28), 2.0f, 4.4f);
        Assert.InRange(StrokeMetrics.Width(ReferenceTwo, 28, 28), 2.0f, 4.4f);
    }

    [Fact]
    public void OffCentreDigitOnLargeCanvasIsCroppedAndCentred() =>
        AssertSameAsReference(Run(Draw(2000, 1500, SKColors.White, SKColors.Black, 10, new SKRect(1650, 80, 1800, 280))), "off-centre on 2000x1500");

    [Fact]
    public void TinyDigitIsEnlargedToFill20Pixels()
    {
        var pixels = Run(Draw(300, 300, SKColors.White, SKColors.Black, 1.5f, new SKRect(40, 200, 50, 214)), "14 px digit");
        var box = PixelAssert.InkBounds(pixels);
        Assert.InRange(Math.Max(box.Width, box.Height), 19, 20);
        AssertSameAsReference(pixels, "14 px digit");
    }

    [Fact]
    public void SpeckleNoiseIsRemoved()
    {
        var random = new Random(7);
        void Specks(SKCanvas canvas)
        {
            using var paint = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            for (int i = 0; i < 250; i++)
                canvas.DrawCircle(random.Next(300), random.Next(300), 0.6f + (float)random.NextDouble(), paint);
        }
        var pixels = Run(Draw(300, 300, SKColors.White, SKColors.Black, 12, new SKRect(90, 70, 210, 230), background: Specks), "specks");
        AssertSameAsReference(pixels, "specks");
    }

    [Fact]
    public void PhoneStylePhotoOfBallpointOnPaperGivesTheSameDigit()
    {
        // 1600x1200, off-white paper with a shadow across it, sensor noise, blue ballpoint, JPEG at quality 70.
        var random = new Random(11);
        void Paper(SKCanvas canvas)
        {
            using var shadow = new SKPaint
            {
                Shader = SKShader.CreateRadialGradient(new SKPoint(1500, 1150), 1400,
                    [new SKColor(120, 115, 105), new SKColor(235, 230, 220)], SKShaderTileMode.Clamp),
            };
            canvas.DrawRect(0, 0, 1600, 1200, shadow);
        }
        using var photo = Draw(1600, 1200, SKColors.White, new SKColor(30, 40, 120), 9, new SKRect(620, 350, 980, 830), background: Paper);
        for (int y = 0; y < photo.Height; y += 1)
            for (int x = (y % 2); x < photo.Width; x += 2)
            {
                var c = photo.GetPixel(x, y);
                int n = random.Next(-12, 13);
                photo.SetPixel(x, y, new SKColor((byte)Math.Clamp(c.Red + n, 0, 255), (byte)Math.Clamp(c.Green + n, 0, 255), (byte)Math.Clamp(c.Blue + n, 0, 255)));
            }
        var digit = DigitPreprocessor.Decode(Encode(photo, SKEncodedImageFormat.Jpeg, 70), "photo.jpg");
        Assert.True(digit.BlankReason is null, digit.BlankReason);
        PixelAssert.IsMnistLike(digit.Pixels, "photo");
        AssertSameAsReference(digit.Pixels, "photo");
    }

    public static TheoryData<string> Sheets() => new() { "paper on a dark table", "ruled notebook", "squared paper" };

    [Theory]
    [MemberData(nameof(Sheets))]
    public void PaperEdgesAndPrintedLinesAreNotInk(string sheet)
    {
        void Background(SKCanvas canvas)
        {
            using var paint = new SKPaint { IsAntialias = true };
            switch (sheet)
            {
                case "paper on a dark table":
                    canvas.Clear(new SKColor(60, 40, 30));
                    paint.Color = new SKColor(240, 240, 235);
                    canvas.DrawRect(50, 30, 400, 400, paint);
                    break;
                case "ruled notebook":
                    paint.Color = new SKColor(150, 180, 230); paint.StrokeWidth = 2;
                    for (int y = 20; y < 400; y += 40) canvas.DrawLine(0, y, 400, y + 2, paint); // slightly tilted
                    break;
                default:
                    paint.Color = new SKColor(170, 170, 170); paint.StrokeWidth = 1;
                    for (int v = 10; v < 400; v += 25) { canvas.DrawLine(0, v, 400, v, paint); canvas.DrawLine(v, 0, v, 400, paint); }
                    break;
            }
        }
        var pixels = Run(Draw(400, 400, SKColors.White, new SKColor(20, 20, 60), 12, new SKRect(140, 120, 260, 280), background: Background), sheet);
        AssertSameAsReference(pixels, sheet);
    }

    [Fact]
    public void DigitTouchingTheBorderOfATightCropIsKept()
    {
        // A 7 running off the top and bottom edges, with a speck beside it: the 7 is the digit, not a frame.
        void Speck(SKCanvas canvas) { using var p = new SKPaint { Color = SKColors.Black }; canvas.DrawCircle(90, 190, 2, p); }
        var tight = Run(Draw(100, 200, SKColors.White, SKColors.Black, 10, new SKRect(10, -6, 90, 206), Glyph.Seven, Speck), "tight 7");
        var roomy = Run(Draw(300, 400, SKColors.White, SKColors.Black, 10, new SKRect(110, 94, 190, 306), Glyph.Seven), "roomy 7");
        Assert.True(PixelCompare.Distance(tight, roomy) <= 2 * SameDigit, $"differs by {PixelCompare.Distance(tight, roomy):0.000}");
    }

    [Fact]
    public void BoldDigitFillingTheWholePictureIsNotHollowed()
    {
        // Stroke a fifth of the picture's side, digit reaching within 10 px of the edges (a tight crop of a marker digit).
        // A bold glyph is shaped differently from the thin reference, so compare with the same bold digit
        // surrounded by plenty of paper. Hollow strokes (paper estimated inside the stroke) would differ a lot.
        var tight = Run(Draw(200, 200, SKColors.White, SKColors.Black, 40, new SKRect(30, 30, 170, 170)), "bold, tight crop");
        var roomy = Run(Draw(600, 600, SKColors.White, SKColors.Black, 40, new SKRect(230, 230, 370, 370)), "bold, roomy");
        float distance = PixelCompare.Distance(tight, roomy);
        Assert.True(distance <= SameDigit, $"tight crop differs from roomy by {distance:0.000}");
        Assert.InRange(StrokeMetrics.Width(tight, 28, 28), 2.0f, 4.4f);
        Assert.True(tight.Count(v => v > 0.9f) >= 40, "stroke cores should be full ink");
    }

    [Theory]
    [InlineData(255, 255, 255, 255)]
    [InlineData(128, 128, 128, 255)]
    [InlineData(0, 0, 0, 255)]
    [InlineData(0, 0, 0, 0)]
    public void UniformImageIsBlank(byte r, byte g, byte b, byte a)
    {
        using var bitmap = new SKBitmap(200, 150);
        bitmap.Erase(new SKColor(r, g, b, a));
        var digit = DigitPreprocessor.Preprocess(bitmap);
        Assert.Equal(InkSegmentation.UniformReason, digit.BlankReason);
        Assert.All(digit.Pixels, v => Assert.Equal(0f, v));
        Assert.Equal((200, 150), (digit.SourceWidth, digit.SourceHeight));
    }

    public static TheoryData<string> NoiseKinds() => new() { "uniform", "gaussian", "sparse-specks", "faint-noise" };

    [Theory]
    [MemberData(nameof(NoiseKinds))]
    public void NoiseWithoutADigitIsBlank(string kind)
    {
        var random = new Random(kind.Length);
        using var bitmap = new SKBitmap(new SKImageInfo(240, 180, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                double v = kind switch
                {
                    "uniform" => random.NextDouble() * 255,
                    "gaussian" => 128 + 40 * Gaussian(random),
                    "sparse-specks" => random.NextDouble() < 0.01 ? 0 : 255,
                    _ => 200 + 3 * Gaussian(random),
                };
                byte level = (byte)Math.Clamp(v, 0, 255);
                bitmap.SetPixel(x, y, new SKColor(level, level, level));
            }
        var digit = DigitPreprocessor.Preprocess(bitmap);
        Assert.NotNull(digit.BlankReason);
        Assert.All(digit.Pixels, v => Assert.Equal(0f, v));
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
