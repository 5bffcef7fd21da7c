using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace HandWrite.Tests.Imaging;

/// <summary>Writes PNG files byte by byte, so tests can produce colour types and headers Skia's encoder
/// never writes (palette with transparency, 16-bit grey, lying sizes).</summary>
internal static class PngWriter
{
    /// <param name="colorType">PNG colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA.</param>
    /// <param name="rows">Unfiltered scanlines, already packed for the bit depth.</param>
    public static byte[] Write(int width, int height, byte bitDepth, byte colorType, IReadOnlyList<byte[]> rows,
        byte[]? palette = null, byte[]? transparency = null)
    {
        using var raw = new MemoryStream();
        foreach (var row in rows) { raw.WriteByte(0); raw.Write(row); }
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) raw.WriteTo(z);
        return Assemble(width, height, bitDepth, colorType, compressed.ToArray(), palette, transparency);
    }

    /// <summary>A valid header declaring any size, followed by a token IDAT: decoders must refuse it by the header.</summary>
    public static byte[] HeaderOnly(int width, int height)
    {
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(new byte[64]);
        return Assemble(width, height, 8, 2, compressed.ToArray(), null, null);
    }

    private static byte[] Assemble(int width, int height, byte bitDepth, byte colorType, byte[] idat, byte[]? palette, byte[]? transparency)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = bitDepth; header[9] = colorType;
        Chunk(png, "IHDR", header);
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
