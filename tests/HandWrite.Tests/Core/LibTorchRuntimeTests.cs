using System.IO.Compression;
using System.Net;
using System.Runtime.InteropServices;
using HandWrite.Core;
using HandWrite.Core.Native;
using static HandWrite.Tests.Core.CoreTestSupport;

namespace HandWrite.Tests.Core;

/// <summary>
/// An installed module's first use: libtorch fetched once (a package file copied over, or a download), verified by
/// SHA-512, unpacked whole or not at all. A small package of the real layout stands in for the 123 MB one here; the
/// Pester package test loads the real one.
/// </summary>
public sealed class LibTorchRuntimeTests : IDisposable
{
    readonly TempFolder temp = new();
    readonly string root;
    readonly string packageFile;
    readonly LibTorchRuntime.RuntimePackage package;

    public LibTorchRuntimeTests()
    {
        root = temp["runtime"];
        packageFile = temp["libtorch-cpu-linux-x64.2.10.0.nupkg"];
        WritePackage(packageFile, LibTorchRuntime.Libraries);
        package = new("libtorch-cpu-linux-x64", "2.10.0", LibTorchRuntime.Sha512(packageFile));
    }

    public void Dispose() => temp.Dispose();

    static void WritePackage(string path, IEnumerable<string> libraries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var library in libraries)
        {
            using var entry = new StreamWriter(zip.CreateEntry($"runtimes/linux-x64/native/{library}").Open());
            entry.Write($"contents of {library}");
        }
        zip.CreateEntry("libtorch-cpu-linux-x64.nuspec");
    }

    static readonly Uri Nowhere = new("http://127.0.0.1:9/"); // the discard port: nothing listens

    [Fact]
    public void The_build_records_the_package_TorchSharp_cpu_depends_on_with_its_NuGet_hash()
    {
        var recorded = LibTorchRuntime.Recorded;
        Assert.NotNull(recorded);
        Assert.Equal("libtorch-cpu-linux-x64", recorded.Id);
        var sha512File = Path.Combine(TorchRuntime.NuGetPackagesRoot, recorded.Id, recorded.Version, $"{recorded.Id}.{recorded.Version}.nupkg.sha512");
        Assert.Equal(File.ReadAllText(sha512File).Trim(), recorded.Sha512);
        Assert.Equal(64, Convert.FromBase64String(recorded.Sha512).Length);
    }

    [Fact]
    public void A_package_file_copied_into_the_folder_is_verified_unpacked_and_kept()
    {
        Directory.CreateDirectory(root);
        File.Copy(packageFile, LibTorchRuntime.CopiedPackagePath(package, root));
        var folder = LibTorchRuntime.Ensure(package, root, Nowhere, null, CancellationToken.None);
        Assert.Equal(LibTorchRuntime.FolderFor(package, root), folder);
        foreach (var library in LibTorchRuntime.Libraries)
            Assert.Equal($"contents of {library}", File.ReadAllText(Path.Combine(folder, library)));
        Assert.True(File.Exists(LibTorchRuntime.CopiedPackagePath(package, root)));
        // Complete now: the next call neither reads the package nor goes to the network.
        File.Delete(LibTorchRuntime.CopiedPackagePath(package, root));
        Assert.Equal(folder, LibTorchRuntime.Ensure(package, root, Nowhere, null, CancellationToken.None));
    }

    [Fact]
    public void A_copied_file_that_is_not_the_recorded_package_is_refused_and_left_for_the_user()
    {
        Directory.CreateDirectory(root);
        var copied = LibTorchRuntime.CopiedPackagePath(package, root);
        WritePackage(copied, LibTorchRuntime.Libraries.Append("extra.so"));
        var ex = Throws(HandWriteErrorKind.InvalidData, () => LibTorchRuntime.Ensure(package, root, Nowhere, null, CancellationToken.None));
        Assert.Contains("SHA-512", ex.Message);
        Assert.Contains("Delete it", ex.Message);
        Assert.Equal(copied, ex.Target);
        Assert.True(File.Exists(copied));
        Assert.False(Directory.Exists(LibTorchRuntime.FolderFor(package, root)));
    }

    [Fact]
    public void Offline_the_error_names_the_address_and_where_to_copy_the_file()
    {
        var ex = Throws(HandWriteErrorKind.ResourceUnavailable, () => LibTorchRuntime.Ensure(package, root, Nowhere, null, CancellationToken.None));
        var url = package.Url(Nowhere).ToString();
        Assert.Contains(url, ex.Message);
        Assert.Contains(LibTorchRuntime.CopiedPackagePath(package, root), ex.Message);
        Assert.Equal(url, ex.Target);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root)); // no temporary file left behind
    }

    [Fact]
    public void A_download_is_verified_reported_unpacked_and_not_kept()
    {
        using var server = new PackageServer(File.ReadAllBytes(packageFile));
        var reports = new List<(string Status, int Percent)>();
        var folder = LibTorchRuntime.Ensure(package, root, server.Source, (s, p) => reports.Add((s, p)), CancellationToken.None);
        Assert.Equal($"/{package.Id}/{package.Version}/{package.FileName}", server.RequestedPath);
        Assert.All(LibTorchRuntime.Libraries, l => Assert.True(File.Exists(Path.Combine(folder, l))));
        Assert.Contains(reports, r => r.Status.StartsWith("Downloading libtorch-cpu-linux-x64 2.10.0"));
        Assert.Contains(reports, r => r.Status.StartsWith("Verifying"));
        Assert.Equal([package.Id], Directory.EnumerateFileSystemEntries(root).Select(Path.GetFileName)); // the download is gone
    }

    [Fact]
    public void A_download_with_other_bytes_is_refused_and_leaves_nothing()
    {
        var other = temp["other.nupkg"];
        WritePackage(other, LibTorchRuntime.Libraries.Take(3));
        using var server = new PackageServer(File.ReadAllBytes(other));
        var ex = Throws(HandWriteErrorKind.InvalidData, () => LibTorchRuntime.Ensure(package, root, server.Source, null, CancellationToken.None));
        Assert.Contains("run the command again", ex.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(root));
    }

    [Fact]
    public void A_package_without_a_needed_library_is_refused_whole()
    {
        var partial = temp["partial.nupkg"];
        WritePackage(partial, LibTorchRuntime.Libraries.Where(l => l != "libtorch_cpu.so"));
        var partialPackage = package with { Sha512 = LibTorchRuntime.Sha512(partial) };
        Directory.CreateDirectory(root);
        File.Copy(partial, LibTorchRuntime.CopiedPackagePath(partialPackage, root));
        var ex = Throws(HandWriteErrorKind.InvalidData, () => LibTorchRuntime.Ensure(partialPackage, root, Nowhere, null, CancellationToken.None));
        Assert.Contains("libtorch_cpu.so", ex.Message);
        Assert.False(Directory.Exists(LibTorchRuntime.FolderFor(partialPackage, root))); // no half runtime
        Assert.Equal([LibTorchRuntime.CopiedPackagePath(partialPackage, root)], Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)); // only the user's file
    }

    [Theory]
    [InlineData("windows", Architecture.X64, false, "#1567")]
    [InlineData("windows", Architecture.Arm64, false, "#1567")]
    [InlineData("osx", Architecture.X64, false, "no build")]
    [InlineData("osx", Architecture.Arm64, false, "never been built or tested")]
    [InlineData("linux", Architecture.Arm64, false, "Arm64")]
    [InlineData("linux", Architecture.X64, true, "musl")]
    public void Each_unsupported_platform_gets_one_sentence_naming_the_supported_one(string os, Architecture architecture, bool musl, string why)
    {
        var sentence = TorchRuntime.UnsupportedPlatformReason(os, architecture, musl);
        Assert.NotNull(sentence);
        Assert.StartsWith("HandWrite runs on Linux x64 with glibc 2.29 or later", sentence);
        Assert.Contains(why, sentence);
        Assert.Single(sentence.Split(". ", StringSplitOptions.RemoveEmptyEntries)); // one sentence
    }

    [Fact]
    public void Linux_x64_with_glibc_is_supported() => Assert.Null(TorchRuntime.UnsupportedPlatformReason("linux", Architecture.X64, false));

    /// <summary>Serves one file at any path on a loopback port, as NuGet's flat container would, and notes the path asked for.</summary>
    sealed class PackageServer : IDisposable
    {
        readonly HttpListener listener = new();
        readonly Task serving;
        public Uri Source { get; }
        public string? RequestedPath { get; private set; }

        public PackageServer(byte[] content)
        {
            for (int attempt = 0; ; attempt++)
            {
                var port = Random.Shared.Next(20000, 60000);
                listener.Prefixes.Clear();
                listener.Prefixes.Add($"http://127.0.0.1:{port}/");
                try { listener.Start(); Source = new Uri($"http://127.0.0.1:{port}/"); break; }
                catch (HttpListenerException) when (attempt < 10) { }
            }
            serving = Task.Run(async () =>
            {
                var context = await listener.GetContextAsync();
                RequestedPath = context.Request.Url!.AbsolutePath;
                context.Response.ContentLength64 = content.Length;
                await context.Response.OutputStream.WriteAsync(content);
                context.Response.Close();
            });
        }

        public void Dispose()
        {
            listener.Stop();
            try { serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
            listener.Close();
        }
    }
}
