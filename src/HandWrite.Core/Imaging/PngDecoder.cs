using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace HandWrite.Core.Imaging;

/// <summary>
/// Decodes the PNGs digits usually come as (8-bit grey, grey+alpha, RGB or RGBA, not interlaced, no
/// transparency key) straight into premultiplied RGBA, the bitmap Skia's decoder would give. Skia spends
/// about 0.5 ms on a 280x280 grey PNG whose inflate alone takes 0.05 ms (docs/PERFORMANCE.md, section 9):
/// most of a single prediction's decode time. Anything else - other bit depths, palettes, interlacing, a
/// damaged chunk, short data - returns null, and Skia decodes it (and words the error) as before.
/// </summary>
internal static class PngDecoder
{
    static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    const uint Ihdr = 0x49484452, Idat = 0x49444154, Iend = 0x49454E44, Trns = 0x74524E53;

    /// <summary>The decoded picture, or null when this PNG is not one of the forms decoded here.</summary>
    public static SKBitmap? TryDecode(ReadOnlySpan<byte> png)
    {
        if (!png.StartsWith(Signature)) return null;
        int width = 0, height = 0, channels = 0;
        byte colorType = 0;
        using var compressed = new MemoryStream();
        bool sawHeader = false, sawEnd = false, idatEnded = false;
        int pos = Signature.Length;
        while (!sawEnd)
        {
            if (png.Length - pos < 12) return null;
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            if (length > png.Length - pos - 12) return null;
            var typeAndData = png.Slice(pos + 4, 4 + (int)length);
            if (Crc32(typeAndData) != BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + (int)length)..])) return null;
            uint type = BinaryPrimitives.ReadUInt32BigEndian(typeAndData);
            var data = typeAndData[4..];
            if (!sawHeader)
            {
                // IHDR first: width, height, depth 8, colour type 0/2/4/6, compression 0, filter 0, interlace 0.
                if (type != Ihdr || length != 13) return null;
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                colorType = data[9];
                channels = colorType switch { 0 => 1, 2 => 3, 4 => 2, 6 => 4, _ => 0 };
                if (width <= 0 || height <= 0 || (long)width * height > ImageDecoding.MaxPixels || data[8] != 8 || channels == 0
                    || data[10] != 0 || data[11] != 0 || data[12] != 0) return null;
                sawHeader = true;
            }
            else if (type == Idat)
            {
                if (idatEnded) return null; // IDAT chunks must be consecutive
                compressed.Write(data);
            }
            else
            {
                if (compressed.Length > 0) idatEnded = true;
                if (type == Trns) return null; // a transparent colour key: Skia applies it
                sawEnd = type == Iend;
            }
            pos += 12 + (int)length;
        }
        if (compressed.Length == 0) return null;

        int stride = width * channels, lineBytes = stride + 1;
        // Inflated a block of lines at a time: one read per line would cost more than the inflate itself.
        int linesPerBlock = Math.Clamp(BlockBytes / lineBytes, 1, height);
        var block = ArrayPool<byte>.Shared.Rent(linesPerBlock * lineBytes);
        var previous = new byte[stride];
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        try
        {
            compressed.Position = 0;
            using var inflater = new ZLibStream(compressed, CompressionMode.Decompress);
            var pixels = MemoryMarshal.Cast<byte, uint>(bitmap.GetPixelSpan());
            int rowPixels = bitmap.RowBytes / 4;
            for (int y0 = 0; y0 < height; y0 += linesPerBlock)
            {
                int lines = Math.Min(linesPerBlock, height - y0);
                var data = block.AsSpan(0, lines * lineBytes);
                if (inflater.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length) return Fail(bitmap);
                ReadOnlySpan<byte> above = previous;
                for (int i = 0; i < lines; i++)
                {
                    var line = data.Slice(i * lineBytes + 1, stride);
                    byte filter = data[i * lineBytes];
                    if (filter > 4) return Fail(bitmap);
                    Unfilter(filter, line, above, channels);
                    ToPremultipliedRgba(line, pixels.Slice((y0 + i) * rowPixels, width), colorType);
                    above = line;
                }
                above.CopyTo(previous);
            }
        }
        catch (InvalidDataException)
        {
            return Fail(bitmap);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(block);
        }
        return bitmap;
    }

    const int BlockBytes = 64 * 1024;

    static SKBitmap? Fail(SKBitmap bitmap)
    {
        bitmap.Dispose();
        return null;
    }

    /// <summary>Reverses one scanline's filter in place (PNG specification, section 9).</summary>
    static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> above, int bpp)
    {
        switch (filter)
        {
            case 1: // Sub
                for (int i = bpp; i < row.Length; i++) row[i] += row[i - bpp];
                break;
            case 2: // Up
            {
                int i = 0;
                for (; i <= row.Length - Vector<byte>.Count; i += Vector<byte>.Count)
                    (new Vector<byte>(row[i..]) + new Vector<byte>(above[i..])).CopyTo(row[i..]);
                for (; i < row.Length; i++) row[i] += above[i];
                break;
            }
            case 3: // Average
                for (int i = 0; i < bpp; i++) row[i] += (byte)(above[i] >> 1);
                for (int i = bpp; i < row.Length; i++) row[i] += (byte)((row[i - bpp] + above[i]) >> 1);
                break;
            case 4: // Paeth, one channel at a time so the left and upper-left bytes stay in registers
                for (int c = 0; c < bpp; c++)
                {
                    int left = row[c] += above[c], upLeft = above[c];
                    for (int i = c + bpp; i < row.Length; i += bpp)
                    {
                        int up = above[i];
                        int pa = Math.Abs(up - upLeft), pb = Math.Abs(left - upLeft), pc = Math.Abs(left + up - 2 * upLeft);
                        left = row[i] += (byte)(pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
                        upLeft = up;
                    }
                }
                break;
        }
    }

    /// <summary>RGBA8888 in memory order (R, G, B, A), colour multiplied by alpha and rounded, as Skia does.</summary>
    static void ToPremultipliedRgba(ReadOnlySpan<byte> row, Span<uint> rgba, byte colorType)
    {
        switch (colorType)
        {
            case 0:
                for (int x = 0; x < rgba.Length; x++) rgba[x] = 0xFF000000u | row[x] * 0x010101u;
                break;
            case 2:
                for (int x = 0; x < rgba.Length; x++)
                    rgba[x] = 0xFF000000u | (uint)row[3 * x] | (uint)row[3 * x + 1] << 8 | (uint)row[3 * x + 2] << 16;
                break;
            case 4:
                for (int x = 0; x < rgba.Length; x++)
                {
                    uint a = row[2 * x + 1], g = Premultiply(row[2 * x], a);
                    rgba[x] = a << 24 | g * 0x010101u;
                }
                break;
            case 6:
                for (int x = 0; x < rgba.Length; x++)
                {
                    uint a = row[4 * x + 3];
                    rgba[x] = a << 24 | Premultiply(row[4 * x], a) | Premultiply(row[4 * x + 1], a) << 8 | Premultiply(row[4 * x + 2], a) << 16;
                }
                break;
        }
    }

    /// <summary>round(c * a / 255) in integers.</summary>
    static uint Premultiply(uint c, uint a)
    {
        uint product = c * a + 128;
        return (product + (product >> 8)) >> 8;
    }

    static readonly uint[] CrcTable = Enumerable.Range(0, 256).Select(n =>
    {
        uint c = (uint)n;
        for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    /// <summary>The chunk CRC (ISO 3309 / zlib's crc32) over type and data.</summary>
    static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes) crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }
}
