using System.IO.Compression;
using System.Net;
using System.Reflection;
using System.Security.Cryptography;

namespace HandWrite.Core.Native;

/// <summary>
/// libtorch's native libraries for a module installed without them: the installable package stays small (libtorch_cpu.so
/// alone is 461 MB, over what PowerShell galleries take) and fetches, once per user, the very NuGet package TorchSharp-cpu
/// depends on, verified against the SHA-512 the build recorded (the registry's own hash of that package), unpacked into
/// $HANDWRITE_HOME/runtime. A build from source has the libraries beside TorchSharp.dll and never comes here.
/// </summary>
internal static class LibTorchRuntime
{
    /// <summary>What the dynamic linker needs from the package, in load order (each library's dependencies before it).</summary>
    internal static readonly string[] Libraries = ["libgomp-98b21ff3.so.1", "libc10.so", "libtorch_cpu.so", "libtorch.so"];

    /// <summary>Where the package is fetched from: NuGet's flat container, or $HANDWRITE_RUNTIME_SOURCE (a mirror of that layout).</summary>
    internal const string SourceVariable = "HANDWRITE_RUNTIME_SOURCE";
    static readonly Uri NuGetFlatContainer = new("https://api.nuget.org/v3-flatcontainer/");

    internal static TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(15);
    internal static TimeSpan StallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The package this build of HandWrite was built against (recorded by HandWrite.Core.csproj); null in a build that recorded none.</summary>
    internal static RuntimePackage? Recorded { get; } = ReadRecorded();

    internal sealed record RuntimePackage(string Id, string Version, string Sha512)
    {
        public string FileName => $"{Id}.{Version}.nupkg";
        public Uri Url(Uri source) => new(source, $"{Id.ToLowerInvariant()}/{Version.ToLowerInvariant()}/{FileName.ToLowerInvariant()}");
        public override string ToString() => $"{Id} {Version}";
    }

    /// <summary>The per-user folder: $HANDWRITE_HOME/runtime.</summary>
    internal static string DefaultRoot => Path.Combine(Paths.HomeDirectory, "runtime");

    /// <summary>NuGet's flat container, or $HANDWRITE_RUNTIME_SOURCE.</summary>
    internal static Uri DefaultSource => Environment.GetEnvironmentVariable(SourceVariable) is { Length: > 0 } s ? new Uri(s.EndsWith('/') ? s : s + "/") : NuGetFlatContainer;

    internal static string FolderFor(RuntimePackage package, string root) => Path.Combine(root, package.Id, package.Version);
    /// <summary>Where a user puts the package file copied over from another machine (offline installs).</summary>
    internal static string CopiedPackagePath(RuntimePackage package, string root) => Path.Combine(root, package.FileName);

    /// <summary>
    /// The folder under <paramref name="root"/> holding <see cref="Libraries"/>: as it is when complete, else filled from a
    /// package file copied into <paramref name="root"/>, else from a download from <paramref name="source"/> (NuGet's flat
    /// container layout). <paramref name="report"/> gets (status, percent or -1).
    /// </summary>
    /// <exception cref="HandWriteException">ResourceUnavailable (cannot download: the message says how to install from a
    /// copied file), InvalidData (the package is not the recorded one), PermissionDenied, Canceled.</exception>
    public static string Ensure(RuntimePackage package, string root, Uri source, Action<string, int>? report, CancellationToken ct)
    {
        var folder = FolderFor(package, root);
        if (Libraries.All(l => File.Exists(Path.Combine(folder, l)))) return folder;
        try
        {
            Directory.CreateDirectory(root);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HandWriteException($"HandWrite cannot create '{root}' for libtorch ({ex.Message}). Set ${Paths.HomeVariable} to a folder you can write.",
                HandWriteErrorKind.PermissionDenied, ex, root);
        }
        var copied = CopiedPackagePath(package, root);
        var file = File.Exists(copied) ? copied : Download(package, root, source, report, ct);
        try
        {
            report?.Invoke($"Verifying {package}", 100);
            if (Sha512(file) is var actual && actual != package.Sha512)
                throw new HandWriteException(
                    $"'{file}' is not the genuine {package} package: its SHA-512 is {actual}, expected {package.Sha512}. " +
                    (file == copied ? "Delete it and copy the right file, or delete it to let HandWrite download it." : "The download was damaged or altered; run the command again."),
                    HandWriteErrorKind.InvalidData, target: file);
            report?.Invoke($"Unpacking {package}", 100);
            Unpack(file, folder, root);
        }
        finally
        {
            if (file != copied) TryDelete(file);
        }
        return folder;
    }

    static string Download(RuntimePackage package, string root, Uri source, Action<string, int>? report, CancellationToken ct)
    {
        var url = package.Url(source);
        var temp = Path.Combine(root, $".{package.FileName}.{Environment.ProcessId}.tmp");
        try
        {
            DownloadAsync(url, temp, package, report, ct).GetAwaiter().GetResult();
            return temp;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            TryDelete(temp);
            throw new HandWriteException($"Downloading {package} was canceled; nothing was kept.", HandWriteErrorKind.Canceled, target: url.ToString());
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or InvalidDataException)
        {
            TryDelete(temp);
            if (IsDiskFull(ex))
                throw new HandWriteException($"The disk holding '{root}' is full: libtorch needs about 600 MB there. Free space and run the command again.",
                    HandWriteErrorKind.WriteFailed, ex, root);
            var reason = ex is OperationCanceledException ? $"no data for {StallTimeout.TotalSeconds:0} s" : Innermost(ex);
            throw new HandWriteException(
                $"HandWrite needs libtorch, the NuGet package {package} (about 120 MB), once per user, and could not download it from {url}: {reason}. " +
                $"On a machine with internet, download {url} and copy the file to '{CopiedPackagePath(package, root)}' here; HandWrite checks its SHA-512 and unpacks it on the next command.",
                HandWriteErrorKind.ResourceUnavailable, ex, url.ToString());
        }
    }

    static async Task DownloadAsync(Uri url, string temp, RuntimePackage package, Action<string, int>? report, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = ConnectTimeout, AutomaticDecompression = DecompressionMethods.None })
        { Timeout = Timeout.InfiniteTimeSpan };
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(ConnectTimeout + StallTimeout);
        report?.Invoke($"Connecting to {url.Host} for {package}", -1);
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        long? total = response.Content.Headers.ContentLength;
        await using var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false);
        await using var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        long received = 0, nextReport = 0;
        while (true)
        {
            stall.CancelAfter(StallTimeout);
            int n = await body.ReadAsync(buffer, stall.Token).ConfigureAwait(false);
            if (n == 0) break;
            await file.WriteAsync(buffer.AsMemory(0, n), stall.Token).ConfigureAwait(false);
            received += n;
            if (received > 1L << 30) throw new InvalidDataException("the server sent more than 1 GB, far more than the package");
            if (report is not null && Environment.TickCount64 >= nextReport)
            {
                nextReport = Environment.TickCount64 + 200; // a few updates a second: Write-Progress must not slow the download
                report($"Downloading {package} (once per user): {Megabytes(received)}{(total is > 0 ? $" of {Megabytes(total.Value)}" : "")}",
                    total is > 0 ? (int)(100 * received / total.Value) : -1);
            }
        }
        if (total is { } expected && received != expected) throw new InvalidDataException($"the connection ended after {received} of {expected} bytes");
    }

    /// <summary>Unpacks <see cref="Libraries"/> into a temporary folder renamed into place: a crash leaves no half runtime.</summary>
    static void Unpack(string nupkg, string folder, string root)
    {
        var temp = $"{folder}.{Environment.ProcessId}.tmp";
        try
        {
            TryDeleteFolder(temp);
            Directory.CreateDirectory(temp);
            using (var zip = OpenZip(nupkg))
            {
                foreach (var library in Libraries)
                {
                    var entry = zip.GetEntry($"runtimes/linux-x64/native/{library}")
                        ?? throw new HandWriteException($"'{nupkg}' has no runtimes/linux-x64/native/{library}: it is not the libtorch package HandWrite needs.", HandWriteErrorKind.InvalidData, target: nupkg);
                    entry.ExtractToFile(Path.Combine(temp, library));
                    if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path.Combine(temp, library), (UnixFileMode)0b111_101_101);
                }
            }
            TryDeleteFolder(folder); // an incomplete one from an older failure
            Directory.Move(temp, folder);
        }
        catch (IOException ex) when (Libraries.All(l => File.Exists(Path.Combine(folder, l))))
        {
            _ = ex; // another process unpacked it at the same moment: theirs is as good as ours
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (IsDiskFull(ex))
                throw new HandWriteException($"The disk holding '{root}' is full: libtorch needs about 600 MB there. Free space and run the command again.",
                    HandWriteErrorKind.WriteFailed, ex, root);
            throw new HandWriteException($"HandWrite could not unpack libtorch into '{folder}': {ex.Message}. libtorch needs about 600 MB there: free space, or set ${Paths.HomeVariable} to a folder with room.",
                HandWriteErrorKind.WriteFailed, ex, folder);
        }
        finally
        {
            TryDeleteFolder(temp);
        }
    }

    static ZipArchive OpenZip(string nupkg)
    {
        try { return ZipFile.OpenRead(nupkg); }
        catch (InvalidDataException ex) { throw new HandWriteException($"'{nupkg}' is not a NuGet package (zip): {ex.Message}", HandWriteErrorKind.InvalidData, ex, nupkg); }
    }

    /// <summary>Base64 SHA-512 of the file, as NuGet records a package's hash (.nupkg.sha512, the registry's packageHash).</summary>
    internal static string Sha512(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToBase64String(SHA512.HashData(stream));
    }

    static RuntimePackage? ReadRecorded()
    {
        var metadata = typeof(LibTorchRuntime).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().ToDictionary(a => a.Key, a => a.Value);
        return metadata.TryGetValue("LibTorchPackageId", out var id) && metadata.TryGetValue("LibTorchPackageVersion", out var version)
            && metadata.TryGetValue("LibTorchPackageSha512", out var sha) && id is { Length: > 0 } && version is { Length: > 0 } && sha is { Length: > 0 }
            ? new RuntimePackage(id, version, sha) : null;
    }

    /// <summary>ENOSPC as .NET reports it on Unix (errno 28) or Windows (ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL).</summary>
    static bool IsDiskFull(Exception ex) => ex is IOException { HResult: 28 or 112 or 39 } || ex.Message.Contains("No space left", StringComparison.Ordinal);

    static string Megabytes(long bytes) => $"{bytes / 1048576.0:0.0} MB";

    static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex.Message.TrimEnd('.');
    }

    static void TryDelete(string path) { try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
    static void TryDeleteFolder(string path) { try { if (Directory.Exists(path)) Directory.Delete(path, true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
}
