using System.Runtime.InteropServices;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

/// <summary>The native load fix for Debian 12: our copy of the glue library is patched, the NuGet cache never is, and convolutions are quiet.</summary>
[Collection(TorchCollection.Name)]
public sealed class TorchRuntimeTests
{
    const string Symbol = "_ZSt21ios_base_library_initv", Version = "GLIBCXX_3.4.32", Glue = "libLibTorchSharp.so";

    public TorchRuntimeTests() => TorchRuntime.EnsureInitialized();

    static string OurGlueLibrary()
    {
        var dir = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location)!;
        return new[] { Path.Combine(dir, Glue), Path.Combine(dir, "runtimes", "linux-x64", "native", Glue) }.First(File.Exists);
    }

    static string CacheGlueLibrary()
    {
        var v = typeof(TorchSharp.torch).Assembly.GetName().Version!;
        var root = HandWrite.Core.Native.TorchRuntime.NuGetPackagesRoot;
        var path = Path.Combine(root, "torchsharp", $"{v.Major}.{v.Minor}.{v.Build}", "runtimes", "linux-x64", "native", Glue);
        Assert.True(File.Exists(path), $"no NuGet cache copy at {path}");
        return path;
    }

    [Fact]
    public void Our_copy_is_patched_only_where_needed_and_the_NuGet_cache_copy_never()
    {
        Assert.True(OperatingSystem.IsLinux());
        var ours = File.ReadAllBytes(OurGlueLibrary());
        var cache = File.ReadAllBytes(CacheGlueLibrary());
        Assert.Equal(ElfVersionPatch.State.NeedsPatch, ElfVersionPatch.Inspect(cache, Symbol, Version));

        if (TorchRuntime.SystemLibStdCxxHas(Symbol, Version))
        {
            Assert.Equal(cache, ours); // nothing to fix: the library is used as shipped
            return;
        }
        Assert.Equal(ElfVersionPatch.State.AlreadyPatched, ElfVersionPatch.Inspect(ours, Symbol, Version));
        Assert.Contains(OurGlueLibrary(), TorchRuntime.LoadFix);

        var patched = ElfVersionPatch.Patch(cache, Symbol, Version)!;
        Assert.Equal(patched, ours); // our copy is exactly the cache copy plus the patch
        Assert.Equal(cache.Length, patched.Length);
        var changed = Enumerable.Range(0, cache.Length).Where(i => cache[i] != patched[i]).ToList();
        Assert.InRange(changed.Count, 2, 4);
        // At most two 2-byte spots: group changed bytes that lie within one 16-bit field.
        var spots = changed.GroupBy(i => changed.First(j => i - j is >= 0 and <= 1)).ToList();
        Assert.Equal(2, spots.Count);
        Assert.Equal(patched, ElfVersionPatch.Patch(patched, Symbol, Version)); // idempotent
        Assert.Null(ElfVersionPatch.Patch(cache, Symbol, "GLIBCXX_9.9.99")); // absent version: nothing to do
        Assert.Equal(ElfVersionPatch.State.NotNeeded, ElfVersionPatch.Inspect(cache, "no_such_symbol", Version));
    }

    [Fact]
    public void Non_ELF_input_is_rejected()
    {
        Assert.Throws<InvalidDataException>(() => ElfVersionPatch.Inspect(new byte[100], Symbol, Version));
        var elf32 = new byte[100]; elf32[0] = 0x7f; elf32[1] = (byte)'E'; elf32[2] = (byte)'L'; elf32[3] = (byte)'F'; elf32[4] = 1; elf32[5] = 1;
        Assert.Throws<InvalidDataException>(() => ElfVersionPatch.Inspect(elf32, Symbol, Version));
        var lying = File.ReadAllBytes(CacheGlueLibrary())[..4096]; // section table offset points past the end
        Assert.Throws<InvalidDataException>(() => ElfVersionPatch.Inspect(lying, Symbol, Version));
    }

    [Fact]
    public void Convolutions_write_nothing_about_NNPACK_to_stderr()
    {
        var log = Path.GetTempFileName();
        string captured;
        int saved = dup(2);
        Assert.True(saved >= 0);
        int fd = open(log, 0x1 | 0x40 | 0x200, 0x1a4); // O_WRONLY | O_CREAT | O_TRUNC, 0644
        Assert.True(fd >= 0);
        try
        {
            Assert.Equal(2, dup2(fd, 2));
            var marker = "handwrite-stderr-capture-works\n"u8.ToArray();
            write(2, marker, marker.Length); // proves the capture sees native writes to fd 2
            using var model = HandWriteCnn.Create(1);
            model.eval();
            using (no_grad())
            using (var scope = NewDisposeScope())
            {
                foreach (var n in new[] { 1, 16, 64 })
                    model.forward(TestNoise.Normal(n, 1, 28, 28));
                nn.functional.conv2d(TestNoise.Normal(32, 3, 64, 64), TestNoise.Normal(16, 3, 5, 5));
            }
        }
        finally
        {
            dup2(saved, 2);
            close(saved);
            close(fd);
            captured = File.ReadAllText(log);
            File.Delete(log);
        }
        Assert.Contains("handwrite-stderr-capture-works", captured);
        Assert.DoesNotContain("NNPACK", captured);
    }

    [DllImport("libc", SetLastError = true)] static extern int dup(int fd);
    [DllImport("libc", SetLastError = true)] static extern int dup2(int oldfd, int newfd);
    [DllImport("libc", SetLastError = true)] static extern int close(int fd);
    [DllImport("libc", SetLastError = true)] static extern int open(string path, int flags, int mode);
    [DllImport("libc", SetLastError = true)] static extern nint write(int fd, byte[] buffer, nint count);
}
