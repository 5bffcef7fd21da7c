using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HandWrite.Core.Native;

/// <summary>
/// Makes TorchSharp loadable and quiet before its first use. Call <see cref="EnsureInitialized"/>
/// before touching any TorchSharp type; every Core entry point that uses torch does.
/// </summary>
public static class TorchRuntime
{
    const string Symbol = "_ZSt21ios_base_library_initv";
    const string Version = "GLIBCXX_3.4.32";
    const string GlueLibrary = "libLibTorchSharp.so";

    static readonly object Gate = new();
    static HandWriteException? failure;
    static bool ready;

    /// <summary>What was done to make TorchSharp load here (for diagnostics and tests).</summary>
    public static string LoadFix { get; private set; } = "none";

    /// <param name="report">Progress of a first-use download of libtorch: (status, percent or -1).</param>
    public static void EnsureInitialized(Action<string, int>? report = null, CancellationToken ct = default)
    {
        lock (Gate)
        {
            if (ready) return;
            if (failure is not null) throw failure;
            try
            {
                Initialize(report, ct);
                ready = true;
            }
            catch (HandWriteException ex) when (ex.Kind is HandWriteErrorKind.Canceled or HandWriteErrorKind.ResourceUnavailable or HandWriteErrorKind.WriteFailed)
            {
                throw; // the next command may succeed (network back, space freed): not remembered
            }
            catch (HandWriteException ex)
            {
                failure = ex;
                throw;
            }
            catch (Exception ex) when (ex is DllNotFoundException or NotSupportedException or TypeInitializationException or BadImageFormatException)
            {
                failure = new HandWriteException(LoadFailure(ex), HandWriteErrorKind.NotInstalled, ex);
                throw failure;
            }
            catch (Exception ex)
            {
                failure = new HandWriteException(ex.Message, HandWriteErrorKind.NotInstalled, ex);
                throw failure;
            }
        }
    }

    static void Initialize(Action<string, int>? report, CancellationToken ct)
    {
        if (UnsupportedPlatformReason(RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux" : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx" : RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "windows" : "other",
                RuntimeInformation.ProcessArchitecture, IsMusl()) is { } unsupported)
            throw new HandWriteException(unsupported, HandWriteErrorKind.NotInstalled);
        // libtorch prints "Could not initialize NNPACK!" on every convolution on CPUs NNPACK does
        // not support; raising c10's log level before libtorch loads keeps users from seeing it.
        setenv("TORCH_CPP_LOG_LEVEL", "ERROR", 1);
        var torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!;
        // A build has libtorch beside TorchSharp.dll (the module folder) or in its runtimes/ folder (a test or app build).
        if (!File.Exists(Path.Combine(torchDir, "libtorch_cpu.so")) && !File.Exists(Path.Combine(torchDir, "runtimes", "linux-x64", "native", "libtorch_cpu.so")))
        {
            // An installed package: libtorch comes from the per-user runtime folder, loaded by full path so that the glue
            // library's dependencies (libtorch.so, libc10.so, libtorch_cpu.so) are already there when TorchSharp loads it.
            var package = LibTorchRuntime.Recorded ?? throw new HandWriteException(
                $"libtorch is missing beside {torchDir} and this build of HandWrite records no libtorch package to fetch. Rebuild HandWrite (./build.ps1) or reinstall it.",
                HandWriteErrorKind.NotInstalled, target: torchDir);
            var folder = LibTorchRuntime.Ensure(package, LibTorchRuntime.DefaultRoot, LibTorchRuntime.DefaultSource, report, ct);
            foreach (var library in LibTorchRuntime.Libraries)
            {
                var path = Path.Combine(folder, library);
                triedPaths.Add(path);
                if (dlopen(path, RTLD_NOW | RTLD_GLOBAL) == IntPtr.Zero)
                    throw new DllNotFoundException($"{path}: {Marshal.PtrToStringAnsi(dlerror())}");
            }
        }
        if (!SystemLibStdCxxHas(Symbol, Version)) PatchGlueLibrary(torchDir);
        triedPaths.Add(Path.Combine(torchDir, GlueLibrary));
        // Touch torch so a failure surfaces here, with our message, not deep inside a cmdlet.
        _ = TorchSharp.torch.get_num_threads();
        DisableNnpack();
    }

    static readonly List<string> triedPaths = [];

    /// <summary>
    /// Null where HandWrite runs (Linux x64 with glibc); otherwise the one sentence a user of that platform reads.
    /// <paramref name="os"/> is linux, osx, windows or other.
    /// </summary>
    internal static string? UnsupportedPlatformReason(string os, Architecture architecture, bool musl)
    {
        const string Supported = "HandWrite runs on Linux x64 with glibc 2.29 or later (Debian 11+, Ubuntu 20.04+, RHEL 9+)";
        return (os, architecture, musl) switch
        {
            ("linux", Architecture.X64, false) => null,
            ("linux", Architecture.X64, true) => $"{Supported}; this Linux uses musl (Alpine?), for which libtorch has no build.",
            ("linux", var a, _) => $"{Supported}; this is Linux {a}, for which TorchSharp 0.107 ships no libtorch.",
            ("windows", var a, _) => $"{Supported}; this is Windows {a}, where TorchSharp 0.107 fails to load its native library (dotnet/TorchSharp #1567): use WSL 2 with a Linux distribution.",
            ("osx", Architecture.Arm64, _) => $"{Supported}; this is macOS on Apple silicon, which HandWrite has never been built or tested on.",
            ("osx", var a, _) => $"{Supported}; this is macOS {a}, for which libtorch 2.10 has no build.",
            (_, var a, _) => $"{Supported}; this is {RuntimeInformation.OSDescription} {a}.",
        };
    }

    static bool IsMusl() => OperatingSystem.IsLinux() && !NativeLibrary.TryLoad("libc.so.6", out _);

    /// <summary>One message for a native load that failed: what this system is, what was tried, what to do.</summary>
    static string LoadFailure(Exception ex)
    {
        string glibc = "unknown", libstdcxx = "unknown";
        try { glibc = Marshal.PtrToStringAnsi(gnu_get_libc_version()) ?? glibc; } catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        try { libstdcxx = SystemLibStdCxxHas(Symbol, Version) ? $"has {Version}" : $"lacks {Version} (HandWrite's shim supplies it)"; } catch (DllNotFoundException) { }
        var tried = triedPaths.Count > 0 ? string.Join(", ", triedPaths.Distinct()) : Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
        var message = ex is TypeInitializationException { InnerException: { } inner } ? inner.Message : ex.Message;
        return $"libtorch could not be loaded on {RuntimeInformation.OSDescription} ({RuntimeInformation.RuntimeIdentifier}, glibc {glibc}, libstdc++ {libstdcxx}). " +
            $"Tried: {tried}. The loader said: {message.Split('\n')[0].Trim()} " +
            $"What to do: delete '{LibTorchRuntime.DefaultRoot}' so HandWrite fetches libtorch again, or reinstall HandWrite; on another platform see README's supported platforms.";
    }

    /// <summary>The NuGet cache the build restored from (its files must stay as shipped).</summary>
    internal static string NuGetPackagesRoot => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>True when the process's libstdc++ defines the symbol at that version.</summary>
    internal static bool SystemLibStdCxxHas(string symbol, string version)
    {
        if (!NativeLibrary.TryLoad("libstdc++.so.6", out var handle)) return false;
        return dlvsym(handle, symbol, version) != IntPtr.Zero;
    }

    /// <summary>
    /// Patches our copy of the glue library (never the NuGet cache) and preloads a tiny shim that
    /// defines the symbol, built with the machine's g++ on first use and cached per user.
    /// </summary>
    static void PatchGlueLibrary(string torchDir)
    {
        var candidates = new[] { Path.Combine(torchDir, GlueLibrary), Path.Combine(torchDir, "runtimes", "linux-x64", "native", GlueLibrary) }
            .Where(File.Exists).ToList();
        if (candidates.Count == 0)
            throw new InvalidOperationException($"TorchSharp's native library {GlueLibrary} was not found beside {torchDir}. Rebuild HandWrite (./build.ps1 or dotnet build).");

        foreach (var path in candidates)
        {
            if (Path.GetFullPath(path).StartsWith(Path.GetFullPath(NuGetPackagesRoot), StringComparison.Ordinal))
                throw new InvalidOperationException($"Refusing to patch {path} inside the NuGet cache; run HandWrite from its build output.");
            var bytes = File.ReadAllBytes(path);
            switch (ElfVersionPatch.Inspect(bytes, Symbol, Version))
            {
                case ElfVersionPatch.State.NeedsPatch:
                    var patched = ElfVersionPatch.Patch(bytes, Symbol, Version)!;
                    var temp = path + "." + Environment.ProcessId + ".tmp";
                    try
                    {
                        File.WriteAllBytes(temp, patched);
                        File.Move(temp, path, overwrite: true); // atomic: a concurrent loader sees old or new, never half
                    }
                    catch (UnauthorizedAccessException)
                    {
                        throw new InvalidOperationException($"TorchSharp needs {Version} from libstdc++, which this system lacks, and {path} is read-only so HandWrite cannot apply its fix. Run HandWrite once from a writable copy, or install libstdc++ from GCC 13 or later.");
                    }
                    finally { if (File.Exists(temp)) File.Delete(temp); }
                    LoadFix = "patched " + path;
                    break;
                case ElfVersionPatch.State.AlreadyPatched:
                    LoadFix = "already patched " + path;
                    break;
            }
        }

        var shim = BuildShim();
        if (dlopen(shim, RTLD_NOW | RTLD_GLOBAL) == IntPtr.Zero)
            throw new InvalidOperationException($"Could not load {shim}: {Marshal.PtrToStringAnsi(dlerror())}");
    }

    const string ShimSource = """
        // Defines the one GCC 13 libstdc++ symbol TorchSharp's glue library references.
        #include <ios>
        namespace std { void ios_base_library_init() { static ios_base::Init init; } }
        """;

    static string BuildShim()
    {
        var key = Convert.ToHexString(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(ShimSource)))[..16].ToLowerInvariant();
        var dir = Path.Combine(Paths.CacheDirectory, "native");
        var shim = Path.Combine(dir, $"libhandwrite-glibcxx-shim-{key}.so");
        if (File.Exists(shim)) return shim;
        Directory.CreateDirectory(dir);
        var source = Path.Combine(dir, $"shim-{Environment.ProcessId}.cpp");
        var temp = shim + "." + Environment.ProcessId + ".tmp";
        File.WriteAllText(source, ShimSource);
        try
        {
            var psi = new ProcessStartInfo("g++", ["-shared", "-fPIC", "-O2", "-o", temp, source])
            { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("g++ did not start.");
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"g++ failed to build HandWrite's libstdc++ shim: {err.Trim()}");
            File.Move(temp, shim, overwrite: true);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new InvalidOperationException($"TorchSharp needs {Version} from libstdc++, which this system lacks. HandWrite fixes that with a tiny library it compiles with g++, but g++ is not installed: install it (apt-get install g++) or a libstdc++ from GCC 13 or later.");
        }
        finally
        {
            File.Delete(source);
            if (File.Exists(temp)) File.Delete(temp);
        }
        return shim;
    }

    /// <summary>Turns NNPACK off so libtorch does not even try it (its failed probe is what logs the warning).</summary>
    static void DisableNnpack()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            var ctx = at_globalContext();
            at_Context_setUserEnabledNNPACK(ctx, false);
        }
        catch (EntryPointNotFoundException) { /* the log level above still hides the message */ }
        catch (DllNotFoundException) { }
    }

    const int RTLD_NOW = 2, RTLD_GLOBAL = 0x100;
    [DllImport("libc", SetLastError = true)] static extern int setenv(string name, string value, int overwrite);
    [DllImport("libc")] static extern IntPtr dlopen(string file, int mode);
    [DllImport("libc")] static extern IntPtr dlerror();
    [DllImport("libc")] static extern IntPtr dlvsym(IntPtr handle, string symbol, string version);
    [DllImport("libc")] static extern IntPtr gnu_get_libc_version();
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")] static extern IntPtr at_globalContext();
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")] static extern void at_Context_setUserEnabledNNPACK(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
