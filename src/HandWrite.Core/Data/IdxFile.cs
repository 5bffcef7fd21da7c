using System.Buffers.Binary;
using System.IO.Compression;

namespace HandWrite.Core.Data;

/// <summary>
/// Reads IDX files (MNIST's format), gzip-compressed or raw: big-endian int32 magic
/// (0x00000803 images, 0x00000801 labels), int32 count, for images int32 rows and cols, then uint8 data.
/// Every header field is checked against the bytes that follow before anything large is allocated.
/// </summary>
public static class IdxFile
{
    public const int ImagesMagic = 0x00000803;
    public const int LabelsMagic = 0x00000801;
    const int MaxItems = 10_000_000;
    const long MaxContentBytes = 256L << 20;

    /// <summary>The decompressed bytes of a .gz file, or the file itself when it is raw.</summary>
    public static byte[] ReadContent(string path)
    {
        byte[] raw;
        try
        {
            // Refused by size before reading: MNIST's largest file is 47 MB, and File.ReadAllBytes fails past 2 GB.
            if (new FileInfo(path) is { Exists: true, Length: > MaxContentBytes } huge)
                throw new HandWriteException($"'{path}' is {huge.Length:N0} bytes, far more than any MNIST file. Delete it and point -DataPath at genuine MNIST files.", HandWriteErrorKind.LimitsExceeded, target: path);
            raw = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException) { throw new HandWriteException($"The data file '{path}' does not exist.", HandWriteErrorKind.NotFound, target: path); }
        catch (DirectoryNotFoundException) { throw new HandWriteException($"The data file '{path}' does not exist.", HandWriteErrorKind.NotFound, target: path); }
        catch (UnauthorizedAccessException ex) { throw new HandWriteException($"Cannot read '{path}': permission denied. Check the file's permissions.", HandWriteErrorKind.PermissionDenied, ex, path); }
        return IsGzip(raw) ? Gunzip(raw, path) : raw;
    }

    static bool IsGzip(byte[] b) => b.Length >= 2 && b[0] == 0x1f && b[1] == 0x8b;

    static byte[] Gunzip(byte[] compressed, string path)
    {
        // 10-byte header + 8-byte trailer at least; anything shorter is a cut-off download.
        if (compressed.Length < 18)
            throw new HandWriteException($"'{path}' is a truncated gzip file ({compressed.Length} bytes). Delete it so HandWrite can fetch a good copy.", HandWriteErrorKind.InvalidData, target: path);
        // The gzip trailer holds the size modulo 2^32; use it to size the buffer, bounded by what
        // deflate can expand to (about 1032:1), so a damaged trailer cannot reserve much memory.
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(compressed.AsSpan(^4));
        using var output = new MemoryStream((int)Math.Min(Math.Min(expected, MaxContentBytes), compressed.LongLength * 1032));
        try
        {
            using var gz = new GZipStream(new MemoryStream(compressed), CompressionMode.Decompress);
            var buffer = new byte[81920];
            int read;
            while ((read = gz.Read(buffer)) > 0)
            {
                if (output.Length + read > MaxContentBytes) // a decompression bomb, not MNIST (at most 47 MB)
                    throw new HandWriteException($"'{path}' expands to more than {MaxContentBytes >> 20} MB, far more than any MNIST file. Delete it and point -DataPath at genuine MNIST files.", HandWriteErrorKind.LimitsExceeded, target: path);
                output.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new HandWriteException($"'{path}' is a damaged gzip file ({ex.Message.TrimEnd('.')}). Delete it so HandWrite can fetch a good copy.", HandWriteErrorKind.InvalidData, ex, path);
        }
        if (output.Length != expected)
            throw new HandWriteException($"'{path}' is a truncated or damaged gzip file (its trailer says {expected} bytes, it holds {output.Length}). Delete it so HandWrite can fetch a good copy.", HandWriteErrorKind.InvalidData, target: path);
        return output.ToArray();
    }

    /// <summary>Parses image content into [count, rows*cols] bytes.</summary>
    public static (byte[] Pixels, int Count, int Rows, int Cols) ParseImages(byte[] content, string source)
    {
        var header = Header(content, source, ImagesMagic, 16);
        int rows = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(8));
        int cols = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(12));
        if (rows is <= 0 or > 4096 || cols is <= 0 or > 4096)
            throw Bad(source, $"its header claims images of {rows}x{cols} pixels");
        long need = 16 + (long)header * rows * cols;
        if (content.LongLength != need)
            throw Bad(source, $"its header claims {header} images of {rows}x{cols} ({need} bytes) but it holds {content.LongLength} bytes");
        return (content.AsSpan(16).ToArray(), header, rows, cols);
    }

    /// <summary>Parses label content; every label must be a digit 0..9.</summary>
    public static byte[] ParseLabels(byte[] content, string source)
    {
        var count = Header(content, source, LabelsMagic, 8);
        if (content.LongLength != 8L + count)
            throw Bad(source, $"its header claims {count} labels but it holds {content.LongLength - 8}");
        var labels = content.AsSpan(8).ToArray();
        int bad = Array.FindIndex(labels, l => l > 9);
        if (bad >= 0) throw Bad(source, $"label {bad} is {labels[bad]}, not a digit");
        return labels;
    }

    static int Header(byte[] content, string source, int magic, int headerSize)
    {
        if (content.Length < headerSize) throw Bad(source, $"it is {content.Length} bytes, shorter than an IDX header");
        int actual = BinaryPrimitives.ReadInt32BigEndian(content);
        if (actual != magic) throw Bad(source, $"its magic number is 0x{actual:x8}, expected 0x{magic:x8}");
        int count = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4));
        if (count is < 0 or > MaxItems) throw Bad(source, $"its header claims {count} items");
        return count;
    }

    static HandWriteException Bad(string source, string why) =>
        new($"'{source}' is not a valid IDX file: {why}. Delete it so HandWrite can fetch a good copy, or point -DataPath at good MNIST files.", HandWriteErrorKind.InvalidData, target: source);
}
