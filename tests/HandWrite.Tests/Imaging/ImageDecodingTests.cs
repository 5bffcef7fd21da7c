using System.Diagnostics;
using HandWrite.Core;
using HandWrite.Core.Imaging;
using SkiaSharp;
using static HandWrite.Tests.Imaging.SyntheticDigits;

namespace HandWrite.Tests.Imaging;

/// <summary>What files decode to, and how bad files are refused.</summary>
public sealed class ImageDecodingTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("handwrite-img-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string WriteFile(string name, byte[] bytes)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static readonly float[] ReferencePixels = DigitPreprocessor.Preprocess(Reference()).Pixels;

    private static void AssertLikeReference(DigitImage digit, string what)
    {
        Assert.True(digit.BlankReason is null, $"{what}: {digit.BlankReason}");
        PixelAssert.IsMnistLike(digit.Pixels, what);
        float distance = PixelCompare.Distance(digit.Pixels, ReferencePixels);
        Assert.True(distance <= 0.04f, $"{what}: differs from the reference by {distance:0.000}");
    }

    private static HandWriteException AssertRefused(Action action, HandWriteErrorKind kind, string target, string mentions)
    {
        var error = Assert.Throws<HandWriteException>(action);
        Assert.Equal(kind, error.Kind);
        Assert.Equal(target, error.Target);
        Assert.Contains(mentions, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(target, error.Message);
        Assert.DoesNotContain("Exception", error.Message);
        return error;
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void EncodedFormatsDecodeToTheSameDigit(SKEncodedImageFormat format)
    {
        using var bitmap = Reference();
        var path = WriteFile($"digit.{format}".ToLowerInvariant(), Encode(bitmap, format));
        var digit = DigitPreprocessor.Load(path);
        AssertLikeReference(digit, format.ToString());
        Assert.Equal((300, 300), (digit.SourceWidth, digit.SourceHeight));
    }

    [Fact]
    public void PaletteWithTransparencyAnd16BitGreyDecode()
    {
        // The reference digit as an 8-bit grey mask, re-encoded in colour types Skia never writes.
        using var reference = Reference();
        var (luminance, _) = InkSegmentation.ReadChannels(reference);
        int w = reference.Width, h = reference.Height;

        // Palette: index 0 = opaque-transparent background (alpha 0), 1..255 = blue ink of growing alpha.
        var palette = new byte[256 * 3];
        var alphas = new byte[256];
        for (int i = 0; i < 256; i++) { palette[i * 3 + 2] = 200; alphas[i] = (byte)i; }
        var indexed = Enumerable.Range(0, h).Select(y => Enumerable.Range(0, w)
            .Select(x => (byte)Math.Round((1 - luminance[x, y]) * 255)).ToArray()).ToList();
        AssertLikeReference(DigitPreprocessor.Decode(PngWriter.Write(w, h, 8, 3, indexed, palette, alphas), "palette.png"), "palette+tRNS");

        // 16-bit grey, big-endian samples.
        var grey16 = Enumerable.Range(0, h).Select(y => Enumerable.Range(0, w).SelectMany(x =>
        {
            ushort v = (ushort)Math.Round(luminance[x, y] * 65535);
            return new[] { (byte)(v >> 8), (byte)v };
        }).ToArray()).ToList();
        AssertLikeReference(DigitPreprocessor.Decode(PngWriter.Write(w, h, 16, 0, grey16), "grey16.png"), "16-bit grey");
    }

    [Fact]
    public void AnimatedGifUsesTheFirstFrame()
    {
        static byte[] Grey(SKBitmap bitmap)
        {
            var (luminance, _) = InkSegmentation.ReadChannels(bitmap);
            return luminance.Data.Select(v => (byte)Math.Round(v * 255)).ToArray();
        }
        using var two = Reference(Glyph.Two);
        using var seven = Reference(Glyph.Seven);
        var gif = GifWriter.Animated(300, 300, [Grey(two), Grey(seven)]);
        var digit = DigitPreprocessor.Decode(gif, "animated.gif");
        AssertLikeReference(digit, "animated GIF");
        var sevenPixels = DigitPreprocessor.Preprocess(seven).Pixels;
        Assert.True(PixelCompare.Distance(digit.Pixels, sevenPixels) > 0.08f, "decoded the second frame");
    }

    [Fact]
    public void ExifOrientationIsApplied()
    {
        // Upright picture: a 7 on a 300x200 landscape sheet. Stored pixels: the same rotated 90 degrees
        // counter-clockwise, with EXIF orientation 6 ("rotate 90 clockwise to display").
        using var upright = Draw(300, 200, SKColors.White, SKColors.Black, 8, new SKRect(110, 30, 190, 170), Glyph.Seven);
        using var stored = new SKBitmap(new SKImageInfo(200, 300, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(stored))
        {
            canvas.SetMatrix(new SKMatrix(0, 1, 0, -1, 0, 300, 0, 0, 1));
            canvas.DrawBitmap(upright, 0, 0);
        }
        var jpeg = Encode(stored, SKEncodedImageFormat.Jpeg);
        var withExif = jpeg.Take(2).Concat(ExifOrientationSegment(6)).Concat(jpeg.Skip(2)).ToArray();

        var expected = DigitPreprocessor.Preprocess(upright).Pixels;
        var decoded = DigitPreprocessor.Decode(withExif, "rotated.jpg");
        Assert.Equal((300, 200), (decoded.SourceWidth, decoded.SourceHeight));
        Assert.True(PixelCompare.Distance(decoded.Pixels, expected) <= 0.04f, "EXIF-rotated JPEG should decode upright");
        // Without the EXIF tag the digit lies on its side: this comparison can fail.
        var sideways = DigitPreprocessor.Decode(jpeg, "sideways.jpg");
        Assert.True(PixelCompare.Distance(sideways.Pixels, expected) > 0.08f);
    }

    private static byte[] ExifOrientationSegment(ushort orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8,          // big-endian TIFF header, IFD at 8
            0, 1,                                               // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, (byte)(orientation >> 8), (byte)orientation, 0, 0, // Orientation SHORT
            0, 0, 0, 0,                                         // no next IFD
        ];
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int length = payload.Length + 2;
        return new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(payload).ToArray();
    }

    [Fact]
    public void MissingFileIsNotFound()
    {
        var path = Path.Combine(folder, "no-such-digit.png");
        AssertRefused(() => DigitPreprocessor.Load(path), HandWriteErrorKind.NotFound, path, "not found");
    }

    [Fact]
    public void ZeroByteFileIsInvalidData() =>
        AssertRefused(() => DigitPreprocessor.Load(WriteFile("empty.png", [])), HandWriteErrorKind.InvalidData,
            Path.Combine(folder, "empty.png"), "empty");

    [Fact]
    public void TextNamedPngIsInvalidData() =>
        AssertRefused(() => DigitPreprocessor.Load(WriteFile("notes.png", "shopping list: milk, eggs\n"u8.ToArray())),
            HandWriteErrorKind.InvalidData, Path.Combine(folder, "notes.png"), "text");

    [Fact]
    public void TruncatedPngIsInvalidData()
    {
        using var bitmap = Reference();
        var png = Encode(bitmap);
        var path = WriteFile("cut.png", png[..(png.Length / 2)]);
        AssertRefused(() => DigitPreprocessor.Load(path), HandWriteErrorKind.InvalidData, path, "truncated");
    }

    [Fact]
    public void PdfAndSvgAreNamed()
    {
        AssertRefused(() => DigitPreprocessor.Decode("%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"u8, "scan.pdf"),
            HandWriteErrorKind.InvalidData, "scan.pdf", "PDF");
        AssertRefused(() => DigitPreprocessor.Decode("<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><path d=\"M0 0L9 9\"/></svg>"u8, "digit.svg"),
            HandWriteErrorKind.InvalidData, "digit.svg", "SVG");
    }

    [Fact]
    public void HugeDeclaredSizeIsRefusedFromTheHeaderWithoutDecoding()
    {
        var path = WriteFile("bomb.png", PngWriter.HeaderOnly(30000, 30000));
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var error = AssertRefused(() => DigitPreprocessor.Load(path), HandWriteErrorKind.LimitsExceeded, path, "30000x30000");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - allocatedBefore < 16_000_000, "allocated pixel memory for a refused image");
        Assert.Contains("megapixel", error.Message);
    }

    [Fact]
    public void SavePngWritesTheModelInputAsGreyscale()
    {
        var path = Path.Combine(folder, "sub", "input.png");
        DigitPreprocessor.SavePng(ReferencePixels, path);
        using var saved = SKBitmap.Decode(path);
        Assert.Equal((28, 28), (saved.Width, saved.Height));
        for (int i = 0; i < 784; i++)
            Assert.Equal((byte)Math.Round(ReferencePixels[i] * 255), saved.GetPixel(i % 28, i / 28).Red);
        var bad = Assert.Throws<HandWriteException>(() => { DigitPreprocessor.SavePng(new float[10], path); });
        Assert.Equal(HandWriteErrorKind.InvalidArgument, bad.Kind);
    }

    [Fact]
    public void NaiveBaselineStretchesWithoutInvertingOrCentring()
    {
        using var bitmap = Draw(600, 300, SKColors.White, SKColors.Black, 12, new SKRect(20, 20, 140, 180));
        var naive = NaivePreprocessor.Load(WriteFile("wide.png", Encode(bitmap)));
        Assert.Equal(784, naive.Length);
        Assert.All(naive, v => Assert.InRange(v, 0f, 1f));
        Assert.True(naive.Average() > 0.8f, "background should stay white (no inversion)");
        // The digit stays in the top-left quarter: no cropping or centring.
        var (cx, _) = HandWrite.Core.Imaging.MnistLayout.CentreOfMass(naive.Select(v => 1 - v).ToArray(), 28, 28);
        Assert.True(cx < 8, $"dark mass centre x = {cx:0.0}");
    }
}
