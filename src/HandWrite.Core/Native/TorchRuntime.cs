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
    static Exception? failure;
    static bool ready;

    /// <summary>What was done to make TorchSharp load here (for diagnostics and tests).</summary>
    public static string LoadFix { get; private set; } = "none";

    public static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (ready) return;
            if (failure is not null) throw new HandWriteException(failure.Message, HandWriteErrorKind.NotInstalled, failure);
            try
            {
                Initialize();
                ready = true;
            }
            catch (Exception ex)
            {
                failure = ex;
                throw new HandWriteException(ex.Message, HandWriteErrorKind.NotInstalled, ex);
            }
        }
    }

    static void Initialize()
    {
        if (OperatingSystem.IsLinux())
        {
            // libtorch prints "Could not initialize NNPACK!" on every convolution on CPUs NNPACK does
            // not support; raising c10's log level before libtorch loads keeps users from seeing it.
            setenv("TORCH_CPP_LOG_LEVEL", "ERROR", 1);
            if (!SystemLibStdCxxHas(Symbol, Version)) PatchGlueLibrary();
        }
        // Touch torch so a failure surfaces here, with our message, not deep inside a cmdlet.
        _ = TorchSharp.torch.get_num_threads();
        DisableNnpack();
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
    static void PatchGlueLibrary()
    {
        var torchDir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!;
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
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at13globalContextEv")] static extern IntPtr at_globalContext();
    [DllImport("libtorch_cpu", EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")] static extern void at_Context_setUserEnabledNNPACK(IntPtr ctx, [MarshalAs(UnmanagedType.U1)] bool enabled);
}
