namespace HandWrite.Core.Benchmarks;

/// <summary>What <see cref="ModelBenchmark.Run"/> measures and how long it may take.</summary>
public sealed class BenchmarkOptions
{
    /// <summary>A short run (under a minute): fewer images and repeats, so noisier figures.</summary>
    public bool Quick { get; init; }
    /// <summary>Training images per training measurement; null picks 384 (Quick) or 3072.</summary>
    public int? TrainImages { get; init; }
    /// <summary>Test images per evaluation measurement; null picks 1000 (Quick) or 10000.</summary>
    public int? EvalImages { get; init; }
    /// <summary>Single-image predictions timed; null picks 20 (Quick) or 200.</summary>
    public int? Predictions { get; init; }
    /// <summary>Times each figure is measured (the median is reported); null picks 1 (Quick) or 3.</summary>
    public int? Repeats { get; init; }
    /// <summary>Side of the square matmul that measures the ceiling; null picks 1024 (Quick) or 2048.</summary>
    public int? MatmulSize { get; init; }
    /// <summary>Where MNIST is (as for training); null uses the default location, downloading if needed.</summary>
    public string? DataPath { get; init; }
    /// <summary>A trained .hwm for prediction and evaluation timing; null writes a freshly initialised model to a temporary file.</summary>
    public string? ModelPath { get; init; }
    /// <summary>The image timed for prediction; null draws an MNIST test digit as a 280x280 black-on-white PNG.</summary>
    public string? SamplePng { get; init; }
    /// <summary>libtorch intra-op threads for the run, set for the benchmark's own thread only (other work in the process keeps its count); null keeps the current setting.</summary>
    public int? Threads { get; init; }
    /// <summary>The pwsh that times the cold start (a new process imports <see cref="ModuleManifest"/> and predicts one
    /// image); null, or a file that is not there, skips that figure with a note.</summary>
    public string? Pwsh { get; init; }
    /// <summary>The module manifest the cold start imports.</summary>
    public string? ModuleManifest { get; init; }
}

/// <summary>Speed of this machine for HandWrite: the matmul ceiling, training, evaluation and single-image prediction.</summary>
public sealed class BenchmarkResult
{
    /// <summary>The model whose prediction and evaluation were timed (full path); null for a freshly initialised network.</summary>
    public string? ModelPath { get; init; }
    public required string Cpu { get; init; }
    public required string CpuFlags { get; init; }
    public required int Threads { get; init; }
    public required string TorchSharpVersion { get; init; }
    public required string LibTorchVersion { get; init; }

    /// <summary>Square fp32 matmul, the practical ceiling for fp32 compute.</summary>
    public required double MatmulFloat32GFlops { get; init; }
    public required double MatmulBFloat16GFlops { get; init; }
    public required int MatmulSize { get; init; }

    /// <summary>The plain TorchSharp loop: fp32, NCHW (<see cref="PlainCnn"/>), batch 64, Adam, each batch copied from managed float[] arrays.</summary>
    public required double NaiveTrainImagesPerSecond { get; init; }
    public required double NaiveTrainGFlops { get; init; }
    /// <summary>HandWrite's Trainer with default options (see <see cref="TrainSetting"/>), steady-state epoch.</summary>
    public required double TrainImagesPerSecond { get; init; }
    public required double TrainGFlops { get; init; }
    public required string TrainSetting { get; init; }
    public required double TrainSpeedupVsNaive { get; init; }

    /// <summary>Images per second through the cached predictor over many test images, as Test-DigitModel runs it (see <see cref="EvalPrecision"/>).</summary>
    public required double EvalImagesPerSecond { get; init; }
    public required double EvalGFlops { get; init; }
    public required int EvalBatchSize { get; init; }
    public required string EvalPrecision { get; init; }

    /// <summary>One PNG end to end (decode, preprocess, forward), warm.</summary>
    public required double PredictP50Milliseconds { get; init; }
    public required double PredictP99Milliseconds { get; init; }
    public required double PredictDecodeMilliseconds { get; init; }
    public required double PredictPreprocessMilliseconds { get; init; }
    public required double PredictForwardMilliseconds { get; init; }

    /// <summary>Host start, module import and first prediction in a child process; NaN when no host was found (see Notes).</summary>
    public required double ColdStartSeconds { get; init; }

    public required double PeakWorkingSetMegabytes { get; init; }
    public required TimeSpan Duration { get; init; }
    public required IReadOnlyList<string> Notes { get; init; }
}
