using HandWrite.Core.Benchmarks;
using HandWrite.Core.Training;

namespace HandWrite.Tests.Benchmarks;

public class NetworkCostTests
{
    // Hand count, multiply-accumulates per image: output pixels x output channels x input channels x 3 x 3
    // for the convolutions (28x28, 28x28, 14x14, 14x14), in x out for the dense layers.
    const long Conv1 = 28L * 28 * 32 * 1 * 9;      //    225,792
    const long Conv2 = 28L * 28 * 64 * 32 * 9;     // 14,450,688
    const long Conv3 = 14L * 14 * 128 * 64 * 9;    // 14,450,688
    const long Conv4 = 14L * 14 * 128 * 128 * 9;   // 28,901,376
    const long Fc1 = 6272L * 256, Fc2 = 256L * 128, Fc3 = 128L * 10;

    [Fact]
    public void Layers_match_the_hand_count()
    {
        Assert.Equal(
            new[] { ("conv1", Conv1), ("conv2", Conv2), ("conv3", Conv3), ("conv4", Conv4), ("fc1", Fc1), ("fc2", Fc2), ("fc3", Fc3) },
            NetworkCost.Layers.Select(l => (l.Name, l.MultiplyAccumulates)).ToArray());
    }

    [Fact]
    public void Forward_is_two_flops_per_multiply_accumulate()
    {
        Assert.Equal(119_336_448L, NetworkCost.ForwardFlopsPerImage);
        Assert.Equal(2 * (Conv1 + Conv2 + Conv3 + Conv4 + Fc1 + Fc2 + Fc3), NetworkCost.ForwardFlopsPerImage);
    }

    [Fact]
    public void Training_adds_weight_gradients_and_input_gradients_except_for_the_images()
    {
        Assert.Equal(357_557_760L, NetworkCost.TrainingFlopsPerImage);
        Assert.Equal(3 * NetworkCost.ForwardFlopsPerImage - 2 * Conv1, NetworkCost.TrainingFlopsPerImage);
    }
}

public class ModelBenchmarkTests
{
    static bool Positive(double x) => double.IsFinite(x) && x > 0;

    [Fact]
    public void Quick_run_with_tiny_sizes_returns_consistent_positive_figures()
    {
        var progress = new List<string>();
        var result = ModelBenchmark.Run(new BenchmarkOptions
        {
            Quick = true, DataPath = TestEnvironment.MnistFolder, TrainImages = 128, EvalImages = 64, Predictions = 3, Repeats = 1, MatmulSize = 128,
            Pwsh = Path.Combine(Path.GetTempPath(), "no-such-pwsh"),
        }, new SynchronousProgress(progress), CancellationToken.None);

        Assert.All(new[]
        {
            result.MatmulFloat32GFlops, result.MatmulBFloat16GFlops, result.NaiveTrainImagesPerSecond, result.NaiveTrainGFlops,
            result.TrainImagesPerSecond, result.TrainGFlops, result.TrainSpeedupVsNaive, result.EvalImagesPerSecond, result.EvalGFlops,
            result.PredictP50Milliseconds, result.PredictP99Milliseconds, result.PredictDecodeMilliseconds,
            result.PredictPreprocessMilliseconds, result.PredictForwardMilliseconds, result.PeakWorkingSetMegabytes,
        }, x => Assert.True(Positive(x), $"{x} is not a finite positive figure"));

        Assert.Equal(result.TrainImagesPerSecond / result.NaiveTrainImagesPerSecond, result.TrainSpeedupVsNaive, 12);
        Assert.Equal(result.TrainImagesPerSecond * NetworkCost.TrainingFlopsPerImage / 1e9, result.TrainGFlops, 9);
        Assert.Equal(result.NaiveTrainImagesPerSecond * NetworkCost.TrainingFlopsPerImage / 1e9, result.NaiveTrainGFlops, 9);
        Assert.Equal(result.EvalImagesPerSecond * NetworkCost.ForwardFlopsPerImage / 1e9, result.EvalGFlops, 9);
        Assert.True(result.PredictP99Milliseconds >= result.PredictP50Milliseconds);
        Assert.True(result.PredictDecodeMilliseconds + result.PredictPreprocessMilliseconds + result.PredictForwardMilliseconds <= result.PredictP99Milliseconds * 3);

        Assert.True(double.IsNaN(result.ColdStartSeconds));
        Assert.Contains(result.Notes, n => n.StartsWith("Cold start not measured", StringComparison.Ordinal));
        Assert.Equal(128, result.MatmulSize);
        Assert.Equal(HandWrite.Core.Evaluation.Inference.BatchSize, result.EvalBatchSize);
        Assert.Contains($"batch {new TrainingOptions().BatchSize}", result.TrainSetting);
        Assert.Equal("0.107.0", result.TorchSharpVersion);
        Assert.StartsWith("2.", result.LibTorchVersion);
        Assert.True(result.Threads >= 1);
        Assert.True(result.Duration > TimeSpan.Zero);
        Assert.Contains(progress, p => p.StartsWith("Training", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_sizes_are_refused_before_any_work()
    {
        var ex = Assert.Throws<HandWrite.Core.HandWriteException>(() =>
            ModelBenchmark.Run(new BenchmarkOptions { Quick = true, DataPath = TestEnvironment.MnistFolder, TrainImages = 0 }, null, CancellationToken.None));
        Assert.Equal(HandWrite.Core.HandWriteErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("TrainImages", ex.Message);
    }

    [Fact]
    public void Cancellation_stops_the_run()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ModelBenchmark.Run(new BenchmarkOptions { Quick = true, DataPath = TestEnvironment.MnistFolder, MatmulSize = 64 }, null, cts.Token));
    }

    [Fact]
    public void Timing_percentiles_use_nearest_rank()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToList();
        Assert.Equal(50, Timing.Median(values));
        Assert.Equal(99, Timing.Percentile(values, 0.99));
        Assert.Equal(100, Timing.Percentile(values, 1));
        Assert.Equal(7, Timing.Median([7]));
        Assert.True(double.IsNaN(Timing.Median([])));
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; tests want the reports in order, now.</summary>
    sealed class SynchronousProgress(List<string> sink) : IProgress<string>
    {
        public void Report(string value) { lock (sink) sink.Add(value); }
    }
}
