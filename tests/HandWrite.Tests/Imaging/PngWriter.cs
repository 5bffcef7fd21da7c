// Explicit usings and #nullable: tests/Support/HandWrite.TestSupport.psm1 compiles this file with Add-Type too,
// which has neither implicit usings nor the project's nullable context.
#nullable enable
using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;

namespace HandWrite.Tests.Imaging;

/// <summary>Writes PNG files byte by byte, so tests can produce colour types and headers Skia's encoder
/// never writes (palette with transparency, 16-bit grey, lying sizes).</summary>
internal static class PngWriter
{
    /// <param name="colorType">PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.</param>
    /// <param name="rows">Unfiltered scanlines, already packed for the bit depth.</param>
    /// <param name="filter">PNG filter type (0 none, 1 sub, 2 up, 3 average, 4 Paeth) applied to every row.</param>
    /// <param name="interlaced">Only sets the header's interlace flag (the rows are not reordered).</param>
    /// <param name="extraChunks">Written after the header, before IDAT.</param>
    public static byte[] Write(int width, int height, byte bitDepth, byte colorType, IReadOnlyList<byte[]> rows,
        byte[]? palette = null, byte[]? transparency = null, byte filter = 0, bool interlaced = false,
        IReadOnlyList<(string Type, byte[] Data)>? extraChunks = null)
    {
        int channels = colorType switch { 2 => 3, 4 => 2, 6 => 4, _ => 1 };
        int bpp = Math.Max(1, channels * bitDepth / 8);
        using var raw = new MemoryStream();
        var prior = new byte[rows.Count > 0 ? rows[0].Length : 0];
        foreach (var row in rows) { raw.WriteByte(filter); raw.Write(Filter(filter, row, prior, bpp)); prior = row; }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) raw.WriteTo(z);
        return Assemble(width, height, bitDepth, colorType, compressed.ToArray(), palette, transparency, interlaced, extraChunks ?? []);
    }

    /// <summary>The encoder's side of PNG filtering (specification, section 9), independent of the decoder's code.</summary>
    private static byte[] Filter(byte filter, byte[] row, byte[] prior, int bpp)
    {
        var output = new byte[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            int left = i >= bpp ? row[i - bpp] : 0, up = prior[i], upLeft = i >= bpp ? prior[i - bpp] : 0;
            int p = left + up - upLeft, pa = Math.Abs(p - left), pb = Math.Abs(p - up), pc = Math.Abs(p - upLeft);
            int predictor = filter switch
            {
                0 => 0,
                1 => left,
                2 => up,
                3 => (left + up) / 2,
                4 => pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft,
                _ => 0, // an invalid type is written as given, for decoders to refuse
            };
            output[i] = (byte)(row[i] - predictor);
        }
        return output;
    }

    /// <summary>A valid header declaring any size, followed by a token IDAT: decoders must refuse it by the header.</summary>
    public static byte[] HeaderOnly(int width, int height)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[64]);
        return Assemble(width, height, 8, 2, compressed.ToArray(), null, null, false, []);
    }

    private static byte[] Assemble(int width, int height, byte bitDepth, byte colorType, byte[] idat, byte[]? palette, byte[]? transparency,
        bool interlaced, IReadOnlyList<(string Type, byte[] Data)> extraChunks)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth; header[9] = colorType; header[12] = (byte)(interlaced ? 1 : 0);
        Chunk(png, "IHDR", header);
        foreach (var (type, data) in extraChunks) Chunk(png, type, data);
        if (palette is not null) Chunk(png, "PLTE", palette);
        if (transparency is not null) Chunk(png, "tRNS", transparency);
        Chunk(png, "IDAT", idat);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        var length = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        png.Write(length);
        var typeAndData = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(typeAndData));
        png.Write(crc);
    }

    private static uint Crc32(byte[] bytes)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
