using System.Text;
using SkiaSharp;

namespace HandWrite.Core.Imaging;

/// <summary>
/// Bytes -> an upright, premultiplied RGBA bitmap no larger than the working size. Refuses what it
/// cannot or should not decode with one clear <see cref="HandWriteException"/>.
/// </summary>
internal static class ImageDecoding
{
    /// <summary>Declared pixel counts above this are refused before decoding (decompression bombs, lying headers).</summary>
    internal const long MaxPixels = 50_000_000;

    /// <summary>Files above this are refused before reading; no digit picture needs more.</summary>
    internal const long MaxFileBytes = 200L * 1024 * 1024;

    /// <summary>Longest side of the working image; bounds the cost of every later step.</summary>
    internal const int WorkingLongestSide = 512;

    internal static byte[] ReadFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new HandWriteException("No image path was given. Pass the path of a PNG, JPEG, GIF, BMP or WebP file.",
                HandWriteErrorKind.InvalidArgument, target: path);
        if (Directory.Exists(path))
            throw new HandWriteException($"'{path}' is a folder, not an image file. Pass the image files inside it (for example with Get-ChildItem).",
                HandWriteErrorKind.InvalidArgument, target: path);
        if (!File.Exists(path))
            throw new HandWriteException($"Image file '{path}' was not found. Check the path and try again.",
                HandWriteErrorKind.NotFound, target: path);
        try
        {
            long length = new FileInfo(path).Length;
            if (length > MaxFileBytes)
                throw new HandWriteException(
                    $"Image file '{path}' is {length / (1024 * 1024)} MB, above the {MaxFileBytes / (1024 * 1024)} MB limit. Save a smaller copy of the digit (1000x1000 pixels is plenty) and try again.",
                    HandWriteErrorKind.LimitsExceeded, target: path);
            return File.ReadAllBytes(path);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new HandWriteException($"Image file '{path}' cannot be read: permission denied. Check the file's permissions.",
                HandWriteErrorKind.PermissionDenied, e, path);
        }
        catch (IOException e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new HandWriteException($"Image file '{path}' was not found. Check the path and try again.",
                HandWriteErrorKind.NotFound, e, path);
        }
        catch (IOException e)
        {
            throw new HandWriteException($"Image file '{path}' could not be read (an I/O error occurred). Check that the file is accessible and try again.",
                HandWriteErrorKind.InvalidData, e, path);
        }
    }

    /// <summary>Decodes the first frame, applies the EXIF origin and shrinks to the working size.</summary>
    /// <param name="sourceSize">Displayed size (after orientation) of the full-resolution picture.</param>
    /// <param name="workingSideFor">Longest working side for the declared size; <see cref="WorkingLongestSide"/> when null.</param>
    internal static SKBitmap DecodeUpright(ReadOnlySpan<byte> encoded, string name, out SKSizeI sourceSize, Func<SKSizeI, int>? workingSideFor = null)
    {
        if (encoded.IsEmpty)
            throw Invalid(name, $"'{name}' is empty (0 bytes). Save the image again and retry.");

        using var data = SKData.CreateCopy(encoded);
        // The codec takes ownership of the stream; it only reads the header here.
        var stream = new SKMemoryStream(data);
        using var codec = SKCodec.Create(stream, out var createResult);
        if (codec is null)
        {
            stream.Dispose();
            throw Invalid(name, DescribeUndecodable(encoded, name, createResult));
        }

        var declared = codec.Info.Size;
        long pixels = (long)declared.Width * declared.Height;
        if (declared.Width <= 0 || declared.Height <= 0)
            throw Invalid(name, $"'{name}' declares an empty picture ({declared.Width}x{declared.Height}). Save the image again and retry.");
        if (pixels > MaxPixels)
            throw new HandWriteException(
                $"'{name}' declares {declared.Width}x{declared.Height} pixels ({pixels / 1_000_000.0:0.#} megapixels), above the {MaxPixels / 1_000_000} megapixel limit. Scale the picture down (about 1000x1000 is plenty for a digit) and try again.",
                HandWriteErrorKind.LimitsExceeded, target: name);

        var origin = codec.EncodedOrigin;
        bool swapsAxes = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        sourceSize = swapsAxes ? new SKSizeI(declared.Height, declared.Width) : declared;

        int workingSide = workingSideFor?.Invoke(declared) ?? WorkingLongestSide;
        var decoded = (codec.EncodedFormat == SKEncodedImageFormat.Png ? PngDecoder.TryDecode(encoded) : null)
            ?? DecodeFirstFrame(codec, name, workingSide);
        return Orient(ShrinkToWorkingSize(decoded, workingSide), origin);
    }

    /// <summary>A line of digits gets the pixel budget of the square working image spent along the line:
    /// the longest side grows with the square root of the aspect ratio, so a long number's digits stay large.</summary>
    internal static int WorkingLongestSideForLine(SKSizeI size)
    {
        double aspect = (double)Math.Max(size.Width, size.Height) / Math.Max(1, Math.Min(size.Width, size.Height));
        return (int)Math.Clamp(WorkingLongestSide * Math.Sqrt(aspect), WorkingLongestSide, 4 * WorkingLongestSide);
    }

    private static SKBitmap DecodeFirstFrame(SKCodec codec, string name, int workingSide)
    {
        // Codecs that can scale while decoding (JPEG) save most of the work on big photos; keep twice the
        // working size so the final shrink still averages over several source pixels.
        var full = codec.Info.Size;
        float scale = Math.Min(1f, 2f * workingSide / Math.Max(full.Width, full.Height));
        var size = scale < 1f ? codec.GetScaledDimensions(scale) : full;

        var result = TryDecode(codec, size, out var bitmap);
        if (result == SKCodecResult.InvalidScale && size != full)
            result = TryDecode(codec, full, out bitmap);
        if (result is SKCodecResult.Success)
            return bitmap!;
        bitmap?.Dispose();
        throw Invalid(name, result switch
        {
            SKCodecResult.IncompleteInput or SKCodecResult.ErrorInInput =>
                $"'{name}' is truncated or corrupt (the {codec.EncodedFormat} data ends early or is damaged). Save or export the image again and retry.",
            _ => $"'{name}' could not be decoded as {codec.EncodedFormat} ({result}). Save it again as PNG or JPEG and retry.",
        });
    }

    private static SKCodecResult TryDecode(SKCodec codec, SKSizeI size, out SKBitmap? bitmap)
    {
        // Premultiplied RGBA: shrinking premultiplied colour is correct compositing-wise, and every source
        // colour type (grey, palette, 16-bit, CMYK JPEG) converts to it.
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels(), new SKCodecOptions(0));
        if (result != SKCodecResult.Success) { bitmap.Dispose(); bitmap = null; }
        return result;
    }

    /// <summary>Any caller-supplied bitmap -> premultiplied RGBA no larger than the working size.</summary>
    internal static SKBitmap ToWorkingBitmap(SKBitmap bitmap, Func<SKSizeI, int>? workingSideFor = null)
    {
        var info = new SKImageInfo(bitmap.Width, bitmap.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var converted = new SKBitmap(info);
        using (var canvas = new SKCanvas(converted))
        {
            canvas.Clear(SKColors.Transparent);
            canvas.DrawBitmap(bitmap, 0, 0);
        }
        return ShrinkToWorkingSize(converted, workingSideFor?.Invoke(info.Size) ?? WorkingLongestSide);
    }

    /// <summary>Takes ownership of <paramref name="bitmap"/>: returns it when it already fits (copying a
    /// bitmap costs as much as decoding a small PNG), otherwise disposes it and returns the shrunk copy.</summary>
    private static SKBitmap ShrinkToWorkingSize(SKBitmap bitmap, int workingSide)
    {
        int longest = Math.Max(bitmap.Width, bitmap.Height);
        if (longest <= workingSide) return bitmap;
        using (bitmap)
            // Area averaging, so a 1-2 px line survives as a fainter line.
            return Resampling.ResizeLongestSide(bitmap, workingSide);
    }

    /// <summary>Applies the EXIF origin so the bitmap is upright as a viewer shows it. Takes ownership of
    /// <paramref name="bitmap"/>: returns it unchanged when already upright, otherwise disposes it.</summary>
    internal static SKBitmap Orient(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        float w = bitmap.Width, h = bitmap.Height;
        // x' = a*x + b*y + c, y' = d*x + e*y + f for each EXIF orientation (1..8).
        SKMatrix? matrix = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => null,
        };
        if (matrix is null) return bitmap;
        using var _ = bitmap;
        bool swaps = matrix.Value.ScaleX == 0;
        var info = new SKImageInfo(swaps ? bitmap.Height : bitmap.Width, swaps ? bitmap.Width : bitmap.Height,
            SKColorType.Rgba8888, SKAlphaType.Premul);
        var result = new SKBitmap(info);
        using var canvas = new SKCanvas(result);
        canvas.Clear(SKColors.Transparent);
        canvas.SetMatrix(matrix.Value);
        canvas.DrawBitmap(bitmap, 0, 0);
        return result;
    }

    private static string DescribeUndecodable(ReadOnlySpan<byte> encoded, string name, SKCodecResult result)
    {
        var head = Encoding.ASCII.GetString(encoded[..Math.Min(encoded.Length, 512)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (head.StartsWith("%PDF", StringComparison.Ordinal))
            return $"'{name}' is a PDF document, not an image. Export the page with the digit as PNG or JPEG and retry.";
        if (head.Contains("<svg", StringComparison.OrdinalIgnoreCase))
            return $"'{name}' is an SVG (vector) drawing, which is not supported. Export it as PNG and retry.";
        if (result == SKCodecResult.IncompleteInput)
            return $"'{name}' is truncated (the image data ends early). Save or export the image again and retry.";
        if (LooksLikeText(encoded))
            return $"'{name}' contains text, not image data, whatever its extension says. Pass a PNG, JPEG, GIF, BMP or WebP image.";
        return $"'{name}' is not a supported image or is damaged (expected PNG, JPEG, GIF, BMP, WebP or ICO data). Save it again in one of those formats and retry.";
    }

    private static bool LooksLikeText(ReadOnlySpan<byte> bytes)
    {
        var sample = bytes[..Math.Min(bytes.Length, 512)];
        int printable = 0;
        foreach (byte b in sample)
            if (b is (>= 0x20 and < 0x7F) or (byte)'\r' or (byte)'\n' or (byte)'\t' || b >= 0x80) printable++;
        return printable == sample.Length;
    }

    private static HandWriteException Invalid(string name, string message) =>
        new(message, HandWriteErrorKind.InvalidData, target: name);
}
