using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;

namespace HandWrite.Core.Data;

/// <summary>
/// Checks a fetched file against MNIST's content checksums and moves it into place, so that nothing
/// unverified ever sits under a name <see cref="MnistFiles.Find"/> would pick up.
/// </summary>
internal static class DownloadVerification
{
    /// <summary>Larger than any MNIST file (train images: 47 MB raw, 9.9 MB gzip); bounds what a bad source can make us store.</summary>
    internal const long MaxFileBytes = 64L << 20;

    const string TempPrefix = ".handwrite-";
    const string TempSuffix = ".partial";

    /// <summary>A fresh temp path in <paramref name="folder"/> (same file system, so the final rename is atomic).</summary>
    public static string NewTempPath(string folder, string name) =>
        Path.Combine(folder, $"{TempPrefix}{name}-{Guid.NewGuid():N}{TempSuffix}");

    /// <summary>Removes temp files an interrupted run (killed process, power loss) left behind.</summary>
    public static void RemoveStaleTempFiles(string folder)
    {
        foreach (var path in Directory.EnumerateFiles(folder, TempPrefix + "*" + TempSuffix))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) > TimeSpan.FromHours(1)) File.Delete(path);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Null when <paramref name="path"/> (gzip or raw) holds the genuine <paramref name="name"/>, else why not.</summary>
    public static string? Check(string path, string name, CancellationToken ct)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            Span<byte> magic = stackalloc byte[2];
            bool gzip = file.Length >= 18 && file.Read(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
            file.Position = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            using (var content = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : (Stream)file)
            {
                var buffer = new byte[1 << 16];
                int n;
                while ((n = content.Read(buffer)) > 0)
                {
                    ct.ThrowIfCancellationRequested();
                    length += n;
                    if (length > MaxFileBytes) return $"its content exceeds {MaxFileBytes >> 20} MB, larger than any MNIST file";
                    hash.AppendData(buffer, 0, n);
                }
            }
            if (gzip)
            {
                // The trailer holds the content size modulo 2^32: a cut-off stream fails here even if inflating did not complain.
                Span<byte> trailer = stackalloc byte[4];
                file.Seek(-4, SeekOrigin.End);
                file.ReadExactly(trailer);
                uint expected = BinaryPrimitives.ReadUInt32LittleEndian(trailer);
                if ((uint)length != expected) return $"truncated or damaged gzip (its trailer says {expected} bytes, it inflates to {length})";
            }
            var actual = Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();
            return actual == MnistFiles.ContentSha256[name]
                ? null
                : $"not the genuine {name} (content sha256 {actual[..16]}..., expected {MnistFiles.ContentSha256[name][..16]}...)";
        }
        catch (InvalidDataException ex) { return $"damaged gzip data ({ex.Message.TrimEnd('.')})"; }
        catch (EndOfStreamException) { return "truncated file"; }
        catch (IOException ex) { return $"cannot read it ({ex.Message.TrimEnd('.')})"; }
        catch (UnauthorizedAccessException) { return "cannot read it (permission denied)"; }
    }

    /// <summary>
    /// Renames a verified temp file to its final name (atomic, replacing a bad copy), then removes the other
    /// variant (name.gz vs raw name): it failed verification or is redundant, and name.gz would shadow a raw file.
    /// </summary>
    public static void Install(string tempPath, string folder, string name, bool gzip)
    {
        var final = Path.Combine(folder, gzip ? name + ".gz" : name);
        var other = Path.Combine(folder, gzip ? name : name + ".gz");
        try
        {
            File.Move(tempPath, final, overwrite: true);
            if (File.Exists(other)) File.Delete(other);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw CannotWrite(final, ex);
        }
    }

    /// <summary>A local write failure (read-only folder, disk full): the user's to fix, so it ends the attempt at once.</summary>
    public static HandWriteException CannotWrite(string target, Exception ex) => new(
        $"Cannot write MNIST to '{target}' ({ex.Message.TrimEnd('.')}). Make room or fix permissions, or choose another folder with -DataPath or ${Paths.DataPathVariable}.",
        HandWriteErrorKind.PermissionDenied, ex, target);

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="target"/>, bounded and cancellable, reporting the byte count as it goes.
    /// <paramref name="beforeRead"/> runs before every read (the HTTP path restarts its stall timer there).
    /// </summary>
    public static async Task<long> CopyBoundedAsync(Stream source, Stream target, Action<long> onBytes, Action? beforeRead, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        long copied = 0;
        while (true)
        {
            beforeRead?.Invoke();
            int n = await source.ReadAsync(buffer, ct).ConfigureAwait(false);
            if (n == 0) return copied;
            copied += n;
            if (copied > MaxFileBytes) throw new InvalidDataException($"it is larger than {MaxFileBytes >> 20} MB, larger than any MNIST file");
            await target.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
            onBytes(copied);
        }
    }
}
