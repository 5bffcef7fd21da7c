using System.Text;
using HandWrite.Core.Imaging;
using SkiaSharp;

namespace HandWrite.Tests.Imaging;

/// <summary>The managed PNG path must give exactly Skia's premultiplied RGBA, and leave every other form to Skia.</summary>
public sealed class PngDecoderTests
{
    [Theory]
    [MemberData(nameof(ColourTypesAndFilters))]
    public void EveryColourTypeAndFilterDecodesAsSkiaDoes(byte colorType, byte filter)
    {
        int channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, _ => 4 };
        var random = new Random(colorType * 10 + filter);
        const int width = 37, height = 23;
        // Noise (every predictor branch), then smooth ramps (the small differences filters exist for).
        var rows = Enumerable.Range(0, height).Select(y =>
        {
            var row = new byte[width * channels];
            if (y < height / 2) random.NextBytes(row);
            else for (int i = 0; i < row.Length; i++) row[i] = (byte)(3 * i + 5 * y);
            return row;
        }).ToList();
        var png = PngWriter.Write(width, height, 8, colorType, rows, filter: filter);

        AssertSameAsSkia(png);
    }

    public static TheoryData<byte, byte> ColourTypesAndFilters()
    {
        var data = new TheoryData<byte, byte>();
        foreach (byte colorType in new byte[] { 0, 2, 4, 6 })
            for (byte filter = 0; filter <= 4; filter++) data.Add(colorType, filter);
        return data;
    }

    [Fact]
    public void EveryColourAndAlphaPairIsPremultipliedAsSkiaDoes()
    {
        var rgba = Enumerable.Range(0, 256).Select(alpha =>
            Enumerable.Range(0, 256).SelectMany(c => new[] { (byte)c, (byte)(255 - c), (byte)(c * 7), (byte)alpha }).ToArray()).ToList();
        AssertSameAsSkia(PngWriter.Write(256, 256, 8, 6, rgba, filter: 1));
        var greyAlpha = Enumerable.Range(0, 256).Select(alpha =>
            Enumerable.Range(0, 256).SelectMany(c => new[] { (byte)c, (byte)alpha }).ToArray()).ToList();
        AssertSameAsSkia(PngWriter.Write(256, 256, 8, 4, greyAlpha, filter: 4));
    }

    [Theory]
    [InlineData(SKColorType.Gray8, SKAlphaType.Opaque)]
    [InlineData(SKColorType.Rgba8888, SKAlphaType.Unpremul)]
    public void SkiasOwnEncodingsDecodeAsSkiaDoes(SKColorType colorType, SKAlphaType alphaType)
    {
        // A digit on a noisy background: large enough that the encoder writes several IDAT chunks and picks its filters per row.
        using var bitmap = new SKBitmap(new SKImageInfo(300, 260, colorType, alphaType));
        var random = new Random(7);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor(235, 230, 220, 200));
            for (int i = 0; i < 4000; i++)
                canvas.DrawPoint(random.Next(300), random.Next(260), new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            using var pen = new SKPaint { Color = new SKColor(20, 30, 90, 230), StrokeWidth = 18, IsAntialias = true, Style = SKPaintStyle.Stroke };
            canvas.DrawCircle(150, 130, 70, pen);
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        var png = data.ToArray();
        Assert.True(Count(png, "IDAT") > 1, "expected several IDAT chunks");

        AssertSameAsSkia(png);
    }

    [Fact]
    public void ColourSpaceChunksChangeNothingSkiaWouldChange()
    {
        var rows = Enumerable.Range(0, 16).Select(y => Enumerable.Range(0, 16 * 3).Select(i => (byte)(i * 5 + y * 11)).ToArray()).ToList();
        byte[] Gamma(uint g) => [(byte)(g >> 24), (byte)(g >> 16), (byte)(g >> 8), (byte)g];
        AssertSameAsSkia(PngWriter.Write(16, 16, 8, 2, rows, extraChunks: [("gAMA", Gamma(100000))]));
        AssertSameAsSkia(PngWriter.Write(16, 16, 8, 2, rows, extraChunks: [("gAMA", Gamma(45455)), ("sRGB", [0])]));
        AssertSameAsSkia(PngWriter.Write(16, 16, 8, 2, rows, extraChunks: [("tEXt", Encoding.ASCII.GetBytes("Comment\0drawn by hand"))]));
    }

    [Fact]
    public void OtherFormsAndDamageAreLeftToSkia()
    {
        var grey = Enumerable.Range(0, 8).Select(y => Enumerable.Range(0, 8).Select(x => (byte)(x * 30 + y)).ToArray()).ToList();
        var valid = PngWriter.Write(8, 8, 8, 0, grey);
        Assert.NotNull(PngDecoder.TryDecode(valid));

        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 8, 8, 3, grey.Select(r => r.Select(v => (byte)(v % 4)).ToArray()).ToList(), palette: new byte[12])));
        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 8, 16, 0, grey.Select(r => r.Concat(r).ToArray()).ToList())));
        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 8, 4, 0, grey.Select(r => r[..4]).ToList())));
        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 8, 8, 0, grey, interlaced: true)));
        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 8, 8, 0, grey, transparency: [0, 30])));
        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 8, 8, 0, grey, filter: 5)));
        Assert.Null(PngDecoder.TryDecode(PngWriter.Write(8, 9, 8, 0, grey))); // the data ends a row early

        var damaged = (byte[])valid.Clone();
        damaged[IndexOf(valid, "IDAT") + 6] ^= 0x40; // inside the compressed data: the chunk's CRC no longer matches
        Assert.Null(PngDecoder.TryDecode(damaged));
        Assert.Null(PngDecoder.TryDecode(valid[..(IndexOf(valid, "IDAT") + 10)])); // cut inside IDAT
        Assert.Null(PngDecoder.TryDecode(valid[..^12])); // no IEND

        using var bitmap = new SKBitmap(8, 8);
        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
        Assert.Null(PngDecoder.TryDecode(jpeg.ToArray()));
    }

    static void AssertSameAsSkia(byte[] png)
    {
        using var managed = PngDecoder.TryDecode(png);
        Assert.NotNull(managed);
        using var codec = SKCodec.Create(new SKMemoryStream(SKData.CreateCopy(png)));
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var skia = new SKBitmap(info);
        Assert.Equal(SKCodecResult.Success, codec.GetPixels(info, skia.GetPixels(), new SKCodecOptions(0)));
        Assert.Equal(info, managed.Info);
        var expected = skia.GetPixelSpan().ToArray();
        var actual = managed.GetPixelSpan().ToArray();
        int first = Enumerable.Range(0, expected.Length).FirstOrDefault(i => expected[i] != actual[i], -1);
        Assert.True(first < 0, first < 0 ? "" : $"byte {first} (pixel {first / 4}): Skia {expected[first]}, managed {actual[first]}");
    }

    static int IndexOf(byte[] bytes, string type) => bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(type));

    static int Count(byte[] bytes, string type)
    {
        int count = 0;
        for (int at = 0, i; (i = bytes.AsSpan(at).IndexOf(Encoding.ASCII.GetBytes(type))) >= 0; at += i + 4) count++;
        return count;
    }
}
