using System.Management.Automation;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Imaging;
using HandWrite.Core.Model;
using HandWrite.Core.Training;
using CoreModelInfo = HandWrite.Core.Model.ModelInfo;

namespace HandWrite.PowerShell;

/// <summary>
/// PowerShell type names of the objects the cmdlets write. Top-level results carry a short name
/// (HandWrite.TrainingResult, ...) that format views and scripts can rely on; nested objects are
/// selected by their .NET name (HandWrite.PowerShell.TrainingEpoch, ...).
/// </summary>
internal static class PSTypeNames
{
    public const string TrainingResult = "HandWrite.TrainingResult";
    public const string ModelTestResult = "HandWrite.ModelTestResult";
    public const string DigitPrediction = "HandWrite.DigitPrediction";
    public const string NumberPrediction = "HandWrite.NumberPrediction";
    public const string ModelInfo = "HandWrite.ModelInfo";
    public const string BenchmarkResult = "HandWrite.BenchmarkResult";

    /// <summary>Wraps a result so its PSTypeNames start with the short name.</summary>
    public static PSObject Tag(object result, string typeName)
    {
        var wrapped = PSObject.AsPSObject(result);
        wrapped.TypeNames.Insert(0, typeName);
        return wrapped;
    }
}

/// <summary>Core marks "not measured" (no validation images) as NaN; PowerShell shows $null, a blank cell.</summary>
static class Validation
{
    public static double? Measured(double value) => double.IsNaN(value) ? null : value;
}

/// <summary>One epoch of a training run (Invoke-DigitTraining's History).</summary>
public sealed class TrainingEpoch
{
    internal TrainingEpoch(EpochMetrics m)
    {
        Epoch = m.Epoch; TrainLoss = m.TrainLoss; TrainAccuracy = m.TrainAccuracy;
        ValidationLoss = Validation.Measured(m.ValidationLoss); ValidationAccuracy = Validation.Measured(m.ValidationAccuracy);
        LearningRate = m.LearningRate; Duration = m.Duration; ImagesPerSecond = m.ImagesPerSecond; IsBest = m.IsBest;
    }

    public int Epoch { get; }
    public double TrainLoss { get; }
    /// <summary>Fraction 0..1 of training images classified correctly during the epoch.</summary>
    public double TrainAccuracy { get; }
    /// <summary>$null when the run held no validation images (-ValidationSize 0).</summary>
    public double? ValidationLoss { get; }
    /// <summary>Fraction 0..1 of held-out validation images classified correctly after the epoch; $null with -ValidationSize 0.</summary>
    public double? ValidationAccuracy { get; }
    /// <summary>Learning rate at the end of the epoch.</summary>
    public double LearningRate { get; }
    public TimeSpan Duration { get; }
    public double ImagesPerSecond { get; }
    /// <summary>True for the epoch whose weights were saved (best validation accuracy so far; every epoch with -ValidationSize 0).</summary>
    public bool IsBest { get; }
}

/// <summary>What Invoke-DigitTraining produced. Pipe it to Test-DigitModel (binds ModelPath).</summary>
public sealed class TrainingResult
{
    internal TrainingResult(TrainingOutcome o)
    {
        ModelPath = o.ModelPath;
        History = o.History.Select(h => new TrainingEpoch(h)).ToArray();
        BestValidationAccuracy = Validation.Measured(o.BestValidationAccuracy);
        BestEpoch = o.BestEpoch;
        Duration = o.Duration;
        ImagesPerSecond = o.ImagesPerSecond;
        MetricsPath = o.MetricsCsvPath;
        CurvePath = o.CurvePngPath;
    }

    public string ModelPath { get; }
    public TrainingEpoch[] History { get; }
    /// <summary>$null when the run held no validation images (-ValidationSize 0); then BestEpoch is the last epoch.</summary>
    public double? BestValidationAccuracy { get; }
    public int BestEpoch { get; }
    public TimeSpan Duration { get; }
    /// <summary>Training throughput over the whole run.</summary>
    public double ImagesPerSecond { get; }
    /// <summary>CSV of the per-epoch history, beside the model.</summary>
    public string MetricsPath { get; }
    /// <summary>PNG chart of loss and accuracy per epoch; $null when it could not be drawn.</summary>
    public string? CurvePath { get; }
}

/// <summary>Precision, recall and F1 of one digit (Test-DigitModel's PerClass).</summary>
public sealed class DigitClassMetrics
{
    internal DigitClassMetrics(ClassMetrics m)
    {
        Digit = m.Digit; Precision = m.Precision; Recall = m.Recall; F1 = m.F1; Support = m.Support;
    }

    public int Digit { get; }
    public double Precision { get; }
    public double Recall { get; }
    public double F1 { get; }
    /// <summary>How many test images have this digit as their label.</summary>
    public int Support { get; }
}

/// <summary>Accuracy on one part of the test data (Test-DigitModel's PerSet), e.g. one folder.</summary>
public sealed class DataSetAccuracy
{
    internal DataSetAccuracy(SetAccuracy s)
    {
        Set = s.Set; Count = s.Count; Correct = s.Correct; Accuracy = s.Accuracy;
    }

    public string Set { get; }
    public int Count { get; }
    public int Correct { get; }
    public double Accuracy { get; }
}

/// <summary>What Test-DigitModel measured.</summary>
public sealed class ModelTestResult
{
    internal ModelTestResult(EvaluationReport r, string[] reportFiles)
    {
        ModelPath = r.ModelPath;
        DataSet = r.DataSet;
        Accuracy = r.Accuracy;
        Loss = r.Loss;
        Count = r.Count;
        Correct = r.Correct;
        PerClass = r.PerClass.Select(c => new DigitClassMetrics(c)).ToArray();
        int rows = r.ConfusionMatrix.GetLength(0), cols = r.ConfusionMatrix.GetLength(1);
        ConfusionMatrix = Enumerable.Range(0, rows).Select(t => Enumerable.Range(0, cols).Select(p => r.ConfusionMatrix[t, p]).ToArray()).ToArray();
        PerSet = r.PerSet.Select(s => new DataSetAccuracy(s)).ToArray();
        Duration = r.Duration;
        ReportFiles = reportFiles;
    }

    public string ModelPath { get; }
    /// <summary>What was tested: "MNIST test" or the labeled folder.</summary>
    public string DataSet { get; }
    /// <summary>Fraction 0..1 of images classified correctly.</summary>
    public double Accuracy { get; }
    /// <summary>Mean cross-entropy loss.</summary>
    public double Loss { get; }
    public int Count { get; }
    public int Correct { get; }
    public DigitClassMetrics[] PerClass { get; }
    /// <summary>ConfusionMatrix[truth][predicted]: how many images of digit truth were predicted as predicted.</summary>
    public int[][] ConfusionMatrix { get; }
    public DataSetAccuracy[] PerSet { get; }
    public TimeSpan Duration { get; }
    /// <summary>PNG files written to -ReportFolder (empty without it).</summary>
    public string[] ReportFiles { get; }
}

/// <summary>A digit and its probability (DigitPrediction's Top).</summary>
public sealed class DigitProbability
{
    internal DigitProbability(int digit, double probability) { Digit = digit; Probability = probability; }

    public int Digit { get; }
    public double Probability { get; }

    public override string ToString() => $"{Digit} ({Probability:P1})";
}

/// <summary>What Get-DigitPrediction read in one image.</summary>
public sealed class DigitPrediction
{
    internal DigitPrediction(string path, int? digit, double confidence, double[] probabilities, DigitProbability[] top, bool lowConfidence, string? reason)
    {
        Path = path; Digit = digit; Confidence = confidence; Probabilities = probabilities; Top = top; LowConfidence = lowConfidence; Reason = reason;
    }

    public string Path { get; }
    /// <summary>The file's name without its folder, as the table shows it (so Sort-Object Name and Select-Object Name work).</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>The digit, or $null when the image holds no digit (see Reason).</summary>
    public int? Digit { get; }
    /// <summary>Probability 0..1 of Digit.</summary>
    public double Confidence { get; }
    /// <summary>Probability of each digit 0..9 (index = digit).</summary>
    public double[] Probabilities { get; }
    /// <summary>The most probable digits, best first.</summary>
    public DigitProbability[] Top { get; }
    /// <summary>True when Confidence is below -MinimumConfidence or there is no digit.</summary>
    public bool LowConfidence { get; }
    /// <summary>Why Digit is $null or low-confidence; $null otherwise.</summary>
    public string? Reason { get; }
}

/// <summary>One digit of a number (NumberPrediction's Digits), left to right.</summary>
public sealed class NumberDigit
{
    internal NumberDigit(int digit, double confidence, DigitBox box) { Digit = digit; Confidence = confidence; Box = box; }

    public int Digit { get; }
    /// <summary>Probability 0..1 of Digit.</summary>
    public double Confidence { get; }
    /// <summary>Where the digit is in the image, in its pixels: X, Y (top left), Width, Height.</summary>
    public DigitBox Box { get; }

    public override string ToString() => $"{Digit} ({Confidence:P1})";
}

/// <summary>What Get-DigitPrediction -Number read in one image.</summary>
public sealed class NumberPrediction
{
    internal NumberPrediction(string path, string? number, double confidence, NumberDigit[] digits, bool lowConfidence, string? reason)
    {
        Path = path; Number = number; Confidence = confidence; Digits = digits; LowConfidence = lowConfidence; Reason = reason;
    }

    public string Path { get; }
    /// <summary>The file's name without its folder, as the table shows it (so Sort-Object Name and Select-Object Name work).</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    /// <summary>The digits left to right as a string (leading zeros kept), or $null when the image holds no digit (see Reason).</summary>
    public string? Number { get; }
    /// <summary>Product of the digits' confidences: the model's probability that the whole number is right. 0 without a number.</summary>
    public double Confidence { get; }
    public NumberDigit[] Digits { get; }
    /// <summary>True when a digit's confidence is below -MinimumConfidence or there is no number.</summary>
    public bool LowConfidence { get; }
    /// <summary>Why Number is $null or uncertain (which digits); $null otherwise.</summary>
    public string? Reason { get; }
}

/// <summary>What a model file says about itself (Get-DigitModel).</summary>
public sealed class ModelInfo
{
    internal ModelInfo(CoreModelInfo i)
    {
        Path = i.Path; Architecture = i.Architecture; ParameterCount = i.ParameterCount; Epochs = i.Epochs; Seed = i.Seed;
        ValidationAccuracy = Validation.Measured(i.ValidationAccuracy); TrainedAt = i.TrainedAt; WeightsSha256 = i.WeightsSha256;
        FormatVersion = i.FormatVersion; Preset = i.Preset; FileSize = i.FileSize;
        var provenance = ModelProvenance.For(i.Path, i.WeightsSha256);
        Recipe = provenance?.Recipe; TestAccuracy = provenance?.TestAccuracy; TestAccuracyMeasured = provenance?.Measured;
    }

    public string Path { get; }
    /// <summary>The file's name without its folder, as the table shows it (so Sort-Object Name and Select-Object Name work).</summary>
    public string Name => System.IO.Path.GetFileName(Path);
    public string Architecture { get; }
    public long ParameterCount { get; }
    /// <summary>The epoch whose weights the file holds.</summary>
    public int Epochs { get; }
    public long Seed { get; }
    /// <summary>$null for a model trained on all 60,000 images (-ValidationSize 0).</summary>
    public double? ValidationAccuracy { get; }
    public DateTimeOffset TrainedAt { get; }
    /// <summary>sha256 of the weights: equal weights, equal hash.</summary>
    public string WeightsSha256 { get; }
    public int FormatVersion { get; }
    public string Preset { get; }
    public long FileSize { get; }
    /// <summary>How the model was trained, from the note beside it (the shipped model has one); $null for other models.</summary>
    public string? Recipe { get; }
    /// <summary>Its MNIST test accuracy, measured once when it was made (the note beside it); $null for other models.</summary>
    public double? TestAccuracy { get; }
    /// <summary>How TestAccuracy was measured.</summary>
    public string? TestAccuracyMeasured { get; }
}
