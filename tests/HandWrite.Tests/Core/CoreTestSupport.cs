using System.Diagnostics;
using System.Security.Cryptography;
using HandWrite.Core;

namespace HandWrite.Tests.Core;

/// <summary>Shared fixtures for the Core reliability tests.</summary>
internal static class CoreTestSupport
{
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>Asserts that <paramref name="action"/> throws a HandWriteException of <paramref name="kind"/> and returns it.</summary>
    public static HandWriteException Throws(HandWriteErrorKind kind, Action action)
    {
        var ex = Assert.Throws<HandWriteException>(action);
        Assert.True(ex.Kind == kind, $"expected {kind}, got {ex.Kind}: {ex.Message}");
        return ex;
    }

    /// <summary>Runs a command and returns its exit code (for chattr, which tests use to make folders read-only even for root).</summary>
    public static int Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        p.WaitForExit();
        return p.ExitCode;
    }

    /// <summary>
    /// Makes <paramref name="folder"/> truly read-only until disposed: chmod 555 when not root; as root (where
    /// permission bits do not stop writes) the immutable attribute, which stops root too.
    /// </summary>
    public static IDisposable ReadOnlyFolder(string folder)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("ReadOnlyFolder uses Unix permissions and chattr.");
        bool root = Environment.UserName == "root" || geteuid() == 0;
        if (!root)
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            // The guard again: the platform analyzer does not follow the one above into a lambda.
            return new Undo(() => { if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute); });
        }
        Assert.True(Run("chattr", "+i", folder) == 0, $"chattr +i {folder} failed: cannot make a folder read-only for root here");
        return new Undo(() => Run("chattr", "-i", folder));
    }

    [System.Runtime.InteropServices.DllImport("libc")] static extern uint geteuid();

    sealed class Undo(Action undo) : IDisposable { public void Dispose() => undo(); }
}

/// <summary>A temporary folder deleted with everything in it.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = TestEnvironment.NewTempFolder("rel");
    public string this[string relative] => System.IO.Path.Combine(Path, relative);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { } }
}

/// <summary>Tests that run libtorch work go through this collection so they do not compete for the 2 shared cores.</summary>
[CollectionDefinition(Name)]
public sealed class TorchCollection { public const string Name = "Torch (serial)"; }

/// <summary>Noise for network inputs from a private generator: libtorch's global one is seeded by model
/// construction in tests running in parallel, and drawing from it here could change their weights.</summary>
internal static class TestNoise
{
    public static TorchSharp.torch.Tensor Normal(params long[] shape)
    {
        using var generator = new TorchSharp.torch.Generator(12345);
        return TorchSharp.torch.randn(shape, generator: generator);
    }
}

internal static class TestTensors
{
    /// <summary>Same shape and bit-identical values.</summary>
    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b)
    {
        using var scope = TorchSharp.torch.NewDisposeScope(); // holds temporaries until the native calls reading them return
        return a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
    }
}
