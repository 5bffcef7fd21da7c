namespace HandWrite.Core.Training;

/// <summary>One finished epoch: what the progress bar showed, kept for the history, CSV and curve.</summary>
public sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double ValidationLoss, double ValidationAccuracy,
    double LearningRate, TimeSpan Duration, double ImagesPerSecond, bool IsBest);

/// <summary>Reported during an epoch, a few times a second at most.</summary>
public sealed record TrainingProgress(
    int Epoch, int Epochs, int Batch, int BatchesPerEpoch, double Loss, double Accuracy, double ImagesPerSecond);

/// <summary>What a training run produced.</summary>
public sealed class TrainingOutcome
{
    public required string ModelPath { get; init; }
    public required IReadOnlyList<EpochMetrics> History { get; init; }
    public required double BestValidationAccuracy { get; init; }
    public required int BestEpoch { get; init; }
    public required TimeSpan Duration { get; init; }
    public required double ImagesPerSecond { get; init; }
    public required string MetricsCsvPath { get; init; }
    public string? CurvePngPath { get; init; }
}
