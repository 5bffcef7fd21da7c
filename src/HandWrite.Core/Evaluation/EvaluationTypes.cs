namespace HandWrite.Core.Evaluation;

public sealed record ClassMetrics(int Digit, double Precision, double Recall, double F1, int Support);

/// <summary>Accuracy of one subset: a folder of a labeled tree, or the whole MNIST test set.</summary>
public sealed record SetAccuracy(string Set, int Count, int Correct, double Accuracy);

/// <summary>A misclassified input: where it came from (a file path or "mnist-test#index") and what the model saw.</summary>
public sealed record Failure(string Source, int Truth, int Predicted, double Confidence, float[] Pixels);

public sealed class EvaluationReport
{
    public required string ModelPath { get; init; }
    public required string DataSet { get; init; }
    public required double Accuracy { get; init; }
    public required double Loss { get; init; }
    public required int Count { get; init; }
    public required int Correct { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    public required int[,] ConfusionMatrix { get; init; }
    public required IReadOnlyList<SetAccuracy> PerSet { get; init; }
    public required IReadOnlyList<Failure> Failures { get; init; }
    public required TimeSpan Duration { get; init; }
}
