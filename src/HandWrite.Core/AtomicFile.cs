namespace HandWrite.Core;

/// <summary>Writes a file so that readers and crashes only ever see the old or the new content.</summary>
public static class AtomicFile
{
    public static void Write(string path, ReadOnlySpan<byte> content)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(dir);
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                fs.Write(content);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            TryDelete(temp);
            throw ex is UnauthorizedAccessException || (ex is IOException io && io.HResult == 13)
                ? new HandWriteException($"Cannot write '{full}': permission denied. Choose a folder you can write to.", HandWriteErrorKind.PermissionDenied, ex, full)
                : new HandWriteException($"Cannot write '{full}': {ex.Message} Free some disk space or choose another folder.", HandWriteErrorKind.PermissionDenied, ex, full);
        }
    }

    public static void WriteText(string path, string text) => Write(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Fails early, before hours of work, when <paramref name="path"/> cannot be written.</summary>
    public static void CheckWritable(string path)
    {
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new HandWriteException($"'{full}' is a folder; give a file path such as '{Path.Combine(full, "model.hwm")}'.", HandWriteErrorKind.InvalidArgument, target: full);
        var dir = Path.GetDirectoryName(full)!;
        var probe = Path.Combine(dir, $".handwrite-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(probe, [1]);
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException)
        {
            throw new HandWriteException($"Cannot write to '{dir}' ({ex.Message.TrimEnd('.')}). Choose a -ModelPath in a folder you can write to.", HandWriteErrorKind.PermissionDenied, ex, full);
        }
        finally { TryDelete(probe); }
    }

    static void TryDelete(string path) { try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
}
