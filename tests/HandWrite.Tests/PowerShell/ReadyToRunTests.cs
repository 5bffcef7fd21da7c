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

    /// <summary>A ReadyToRun image carries a managed native header in its CLI header.</summary>
    static bool IsReadyToRun(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new PEReader(stream);
        return reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0;
    }
}
