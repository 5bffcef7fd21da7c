using CsCheck;
using HandWrite.Core;
using HandWrite.Core.Imaging;
using SkiaSharp;

namespace HandWrite.Tests.Imaging;

/// <summary>Whatever picture comes in (size, format, content, damage), the result is a valid model input
/// or a <see cref="HandWriteException"/>: never another exception, NaN, or out-of-range pixel.</summary>
public sealed class PreprocessorPropertyTests
{
    private sealed record Case(int Width, int Height, SKEncodedImageFormat Format, int Content, uint Seed, int CutPercent)
    {
        public override string ToString() => $"{Width}x{Height} {Format} content {Content} seed {Seed} cut {CutPercent}%";
    }

    private static readonly Gen<Case> Cases =
        Gen.Select(Gen.Int[1, 260], Gen.Int[1, 260],
            Gen.OneOfConst(SKEncodedImageFormat.Png, SKEncodedImageFormat.Jpeg, SKEncodedImageFormat.Webp),
            Gen.Int[0, 3], Gen.UInt, Gen.OneOfConst(100, 100, 100, 60, 5))
        .Select(t => new Case(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6));

    private static byte[] Render(Case c)
    {
        var random = new Random((int)c.Seed);
        SKColor RandomColor() => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
        using var bitmap = new SKBitmap(new SKImageInfo(c.Width, c.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(c.Content == 3 ? SKColors.Transparent : RandomColor());
            if (c.Content == 1)
                for (int y = 0; y < c.Height; y++)
                    for (int x = 0; x < c.Width; x++) bitmap.SetPixel(x, y, RandomColor());
            if (c.Content is 2 or 3)
                for (int i = random.Next(1, 6); i > 0; i--)
                {
                    using var paint = new SKPaint { Color = RandomColor(), IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = 0.5f + random.Next(30) };
                    canvas.DrawLine(random.Next(-20, c.Width + 20), random.Next(-20, c.Height + 20), random.Next(c.Width), random.Next(c.Height), paint);
                }
        }
        var encoded = SyntheticDigits.Encode(bitmap, c.Format, quality: 80);
        return encoded[..Math.Max(0, encoded.Length * c.CutPercent / 100)];
    }

    [Fact]
    public void AnyInputGivesAValidInputOrAHandWriteException()
    {
        Cases.Sample(c =>
        {
            var bytes = Render(c);
            DigitImage digit;
            try { digit = DigitPreprocessor.Decode(bytes, "random"); }
            catch (HandWriteException e)
            {
                Assert.Equal("random", e.Target);
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                return;
            }
            Assert.Equal(784, digit.Pixels.Length);
            Assert.All(digit.Pixels, v => Assert.True(float.IsFinite(v) && v is >= 0f and <= 1f, $"{c}: pixel {v}"));
            if (digit.BlankReason is not null) Assert.All(digit.Pixels, v => Assert.Equal(0f, v));
            else Assert.True(digit.Pixels.Max() > 0f, $"{c}: non-blank result without ink");
            Assert.Equal((c.Width, c.Height), (digit.SourceWidth, digit.SourceHeight));
        }, iter: 80, threads: 1);
    }
}
