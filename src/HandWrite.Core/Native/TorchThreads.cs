using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace HandWrite.Core.Native;

/// <summary>
/// Runs work with a given number of libtorch intra-op threads on the calling thread only.
/// </summary>
/// <remarks>
/// TorchSharp's <c>set_num_threads</c> is process-wide, and libtorch reads that setting once per thread, when the
/// thread first runs a parallel op: a thread that starts work while a benchmark has it at 1 keeps 1 thread for life,
/// after the benchmark restored it. On CPUs where MKL's fp32 matrix products split their sums by thread count (the
/// Xeons with AMX here), that thread's answers then differ in the last bits from every other thread's. OpenMP's
/// thread count (the nthreads ICV) and MKL's thread-local count belong to one thread, so setting those two and
/// nothing global leaves the rest of the process alone.
/// </remarks>
public static class TorchThreads
{
    delegate void SetCount(int threads);
    delegate int SetLocalCount(int threads);

    static readonly Lazy<(SetCount OpenMp, SetLocalCount Mkl)?> Controls = new(FindControls);

    /// <summary>Runs <paramref name="work"/> with <paramref name="threads"/> intra-op threads on this thread, then restores this thread's count.</summary>
    public static T Run<T>(int threads, Func<T> work)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        TorchRuntime.EnsureInitialized();
        var controls = Controls.Value ?? throw new HandWriteException(
            $"Cannot set the thread count for one run: this libtorch build does not export OpenMP's and MKL's thread controls. Leave out -Threads (libtorch uses {get_num_threads()} threads here) or set OMP_NUM_THREADS before starting PowerShell.",
            HandWriteErrorKind.InvalidArgument);
        int previous = get_num_threads(); // also runs libtorch's once-per-thread setup now, which would otherwise overwrite ours later
        controls.OpenMp(threads);
        int previousMkl = controls.Mkl(threads);
        try { return work(); }
        finally
        {
            controls.OpenMp(previous);
            controls.Mkl(previousMkl);
        }
    }

    /// <summary>omp_set_num_threads from the OpenMP runtime libtorch loaded, MKL_Set_Num_Threads_Local from libtorch (MKL is linked into it; the lower-case names are its Fortran entries, which take pointers).</summary>
    static (SetCount, SetLocalCount)? FindControls()
    {
        if (!NativeLibrary.TryLoad("libtorch_cpu", typeof(TorchSharp.torch).Assembly, null, out var torch)
            || !NativeLibrary.TryGetExport(torch, "MKL_Set_Num_Threads_Local", out var mkl))
            return null;
        foreach (var openMp in OpenMpLibraries())
            if (NativeLibrary.TryLoad(openMp, out var handle) && NativeLibrary.TryGetExport(handle, "omp_set_num_threads", out var omp))
                return (Marshal.GetDelegateForFunctionPointer<SetCount>(omp), Marshal.GetDelegateForFunctionPointer<SetLocalCount>(mkl));
        return null;
    }

    /// <summary>The OpenMP runtime already mapped into the process (Linux: its file name carries a build hash), else the usual names.</summary>
    static IEnumerable<string> OpenMpLibraries()
    {
        if (OperatingSystem.IsLinux())
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                int slash = line.IndexOf('/');
                if (slash < 0) continue;
                var path = line[slash..];
                var name = Path.GetFileName(path);
                if (name.StartsWith("libgomp", StringComparison.Ordinal) || name.StartsWith("libiomp", StringComparison.Ordinal))
                    yield return path;
            }
        yield return "libiomp5md";
        yield return "libomp";
    }
}
