namespace HandWrite.Core.Training;

/// <summary>
/// Every training hyper-parameter, in one place. A preset fills in the recipe; explicit values win.
/// </summary>
public sealed class TrainingOptions
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    /// <summary>Peak learning rate of Adam.</summary>
    public double LearningRate { get; init; } = 1e-3;
    public long Seed { get; init; } = 1;
    /// <summary>
    /// Images taken out of the 60,000 training images to choose the best epoch (never the test set).
    /// 0 trains on all of them and keeps the last epoch: for a final model once validation has settled the recipe.
    /// </summary>
    public int ValidationSize { get; init; } = 5000;
    /// <summary>True when nothing is held out (-ValidationSize 0): every epoch replaces the model, so the last one is kept.</summary>
    public bool KeepsLastEpoch => ValidationSize == 0;
    /// <summary>Train on only the first n training images (quick runs).</summary>
    public int? Subset { get; init; }
    public string? DataPath { get; init; }
    public string ModelPath { get; init; } = Paths.DefaultModelPath;
    /// <summary>Continue from ModelPath's checkpoint instead of starting over.</summary>
    public bool Resume { get; init; }
    public TrainingPreset Preset { get; init; } = TrainingPreset.Best;
    /// <summary>Compute precision of the training step; Auto takes bfloat16 where the CPU has native bf16 (AVX-512 BF16 / AMX).</summary>
    public TrainingPrecision Precision { get; init; } = TrainingPrecision.Auto;

    /// <summary>The precision Auto resolves to on this machine.</summary>
    public TrainingPrecision EffectivePrecision => Precision != TrainingPrecision.Auto ? Precision
        : Native.CpuInfo.HasNativeBFloat16 ? TrainingPrecision.BFloat16 : TrainingPrecision.Float32;

    /// <summary>Cosine decay of the learning rate to zero over the run, after a short warm-up.</summary>
    public bool CosineSchedule => Preset == TrainingPreset.Best;
    /// <summary>Random affine and stroke-thickness augmentation, as batched tensor ops.</summary>
    public bool Augment => Preset == TrainingPreset.Best;
    public double LabelSmoothing => Preset == TrainingPreset.Best ? 0.05 : 0.0;
    public double WarmupFraction => 0.03;

    public string CheckpointPath => ModelPath + ".checkpoint";
    public string MetricsCsvPath => Path.ChangeExtension(ModelPath, ".metrics.csv");
    public string CurvePngPath => Path.ChangeExtension(ModelPath, ".curve.png");

    public void Validate()
    {
        static void Check(bool ok, string message) { if (!ok) throw new HandWriteException(message, HandWriteErrorKind.InvalidArgument); }
        Check(Epochs is >= 1 and <= 1000, $"-Epochs must be between 1 and 1000; it was {Epochs}.");
        Check(BatchSize is >= 1 and <= 4096, $"-BatchSize must be between 1 and 4096; it was {BatchSize}.");
        Check(LearningRate is > 0 and < 1, $"-LearningRate must be above 0 and below 1; it was {LearningRate}.");
        Check(ValidationSize is >= 0 and <= 30000, $"-ValidationSize must be between 0 and 30000; it was {ValidationSize}.");
        Check(Subset is null or >= 1, $"-Subset must be positive; it was {Subset}.");
    }
}

/// <summary>Compute precision: weights and optimizer state stay fp32 either way (mixed precision).</summary>
public enum TrainingPrecision { Auto, Float32, BFloat16 }

/// <summary>Training recipes for the same network.</summary>
public enum TrainingPreset
{
    /// <summary>The most accurate recipe that validation supports: augmentation, cosine schedule, label smoothing.</summary>
    Best,
    /// <summary>The plain recipe: Adam at a constant learning rate, no augmentation.</summary>
    Seed,
}
