using System.Runtime.InteropServices;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

/// <summary>
/// A thread count set for one run (Measure-DigitModel -Threads) applies to that thread's OpenMP and MKL work and
/// to nothing else: a thread that starts torch work meanwhile keeps the default count, so its answers are bit for
/// bit those of every other thread (on the AMX Xeons here 1 and 2 threads give different fp32 logits).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class TorchThreadsTests
{
    public TorchThreadsTests() => TorchRuntime.EnsureInitialized();

    [DllImport("libtorch_cpu", EntryPoint = "MKL_Get_Max_Threads")] static extern int mkl_get_max_threads();

    [Fact]
    public void Run_sets_this_threads_count_for_OpenMP_and_MKL_and_restores_it()
    {
        int before = get_num_threads(), mklBefore = mkl_get_max_threads();
        var (inside, mklInside) = TorchThreads.Run(1, () => (get_num_threads(), mkl_get_max_threads()));
        Assert.Equal((1, 1), (inside, mklInside));
        Assert.Equal((before, mklBefore), (get_num_threads(), mkl_get_max_threads()));
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchThreads.Run(0, () => 0));
    }

    [Fact]
    public void A_thread_that_starts_during_a_one_thread_run_keeps_the_default_count_and_the_same_answers()
    {
        using var model = HandWriteCnn.Create(1);
        using var generator = new Generator(7);
        using var images = rand([40, 1, 28, 28], generator: generator);
        float[] Logits() { using var l = Inference.Logits(model, images, ScalarType.Float32, Inference.BatchSize); return l.data<float>().ToArray(); }
        var expected = Logits();
        int defaultCount = get_num_threads();

        int otherCount = 0, mklCount = 0;
        float[]? other = null;
        TorchThreads.Run(1, () =>
        {
            // The first torch work of a new thread is when libtorch settles its count: here, while this run holds 1.
            var thread = new Thread(() => { otherCount = get_num_threads(); mklCount = mkl_get_max_threads(); other = Logits(); });
            thread.Start();
            thread.Join();
            return 0;
        });
        Assert.Equal(defaultCount, otherCount);
        Assert.Equal(defaultCount, mklCount);
        Assert.Equal(expected, other);
    }
}
