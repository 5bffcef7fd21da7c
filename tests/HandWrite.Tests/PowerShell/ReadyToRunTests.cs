using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;

namespace HandWrite.Tests.PowerShell;

/// <summary>The build precompiles what a session loads at start (src/ReadyToRun.targets), in the host and in the module.</summary>
public sealed class ReadyToRunTests
{
    static readonly string HostFolder = Path.GetDirectoryName(PowerShellHarness.HostDll)!;
    static readonly string ModuleFolder = Path.GetDirectoryName(PowerShellHarness.ModuleManifest)!;

    public static TheoryData<string> StartupAssemblies() => new()
    {
        Path.Combine(HostFolder, "runtimes", "unix", "lib", "net10.0", "System.Management.Automation.dll"),
        Path.Combine(HostFolder, "runtimes", "unix", "lib", "net10.0", "Microsoft.PowerShell.ConsoleHost.dll"),
        Path.Combine(HostFolder, "handwrite.dll"),
        Path.Combine(HostFolder, "HandWrite.Core.dll"),
        Path.Combine(HostFolder, "TorchSharp.dll"),
        Path.Combine(ModuleFolder, "HandWrite.PowerShell.dll"),
        Path.Combine(ModuleFolder, "HandWrite.Core.dll"),
        Path.Combine(ModuleFolder, "SkiaSharp.dll"),
    };

    [Theory]
    [MemberData(nameof(StartupAssemblies))]
    public void StartupAssembliesArePrecompiledOnLinuxX64(string path)
    {
        Assert.True(File.Exists(path), $"{path} is missing: build the solution first.");
        bool precompiled = IsReadyToRun(path);
        if (OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64)
            Assert.True(precompiled, $"{Path.GetFileName(path)} is IL only: the ReadyToRun step did not run");
        else
            Assert.False(precompiled);
    }

    [Fact]
    public void AssembliesNotListedStayIl() =>
        Assert.False(IsReadyToRun(Path.Combine(HostFolder, "ScottPlot.dll")), "only the start-up assemblies are precompiled");

    [Fact]
    public void Precompiled_images_never_reach_the_NuGet_cache_through_hard_links()
    {
        // Package files reach bin folders as hard links into the NuGet cache (Directory.Build.props); an image written
        // into such a file in place would rewrite the cache's copy for every project on the machine.
        var root = HandWrite.Core.Native.TorchRuntime.NuGetPackagesRoot;
        var packages = new[] { "torchsharp", "skiasharp", "system.management.automation", "microsoft.powershell.consolehost" };
        var cached = packages.Select(p => Path.Combine(root, p)).Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.dll", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}ref{Path.DirectorySeparatorChar}")).ToList();
        Assert.True(cached.Count >= 4, $"expected the packages' assemblies under {root}");
        Assert.DoesNotContain(cached, IsReadyToRun);
    }

    /// <summary>A ReadyToRun image carries a managed native header in its CLI header.</summary>
    static bool IsReadyToRun(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        return reader.PEHeaders.CorHeader is { } cli && cli.ManagedNativeHeaderDirectory.Size > 0; // native DLLs have no CLI header
    }
}
