using HandWrite.Core.Evaluation;
using HandWrite.Core.Model;

namespace HandWrite.Tests.Training;

/// <summary>A short real training run must learn: the MNIST test set (never seen in training) sets the floor.</summary>
[Collection(TrainedModelCollection.Name)]
public sealed class AccuracyFloorTests(TrainedModelFixture trained)
{
    [Fact]
    public void ShortRunReachesNinetySevenPercentOnTheMnistTestSet()
    {
        var report = Evaluator.OnMnistTest(trained.ModelPath, TestEnvironment.MnistFolder, null, CancellationToken.None);

        Assert.Equal(10_000, report.Count);
        Assert.True(report.Accuracy >= 0.97, $"test accuracy {report.Accuracy:P2} is below the 97% floor");
        Assert.Equal(report.Count, Enumerable.Range(0, 10).Sum(t => Enumerable.Range(0, 10).Sum(p => report.ConfusionMatrix[t, p])));
        Assert.All(report.PerClass, c => Assert.True(c.Recall > 0.9, $"digit {c.Digit} recall {c.Recall:P1}"));
    }

    [Fact]
    public void HistoryAndSideFilesDescribeTheRun()
    {
        var outcome = trained.Outcome;
        Assert.Equal(2, outcome.History.Count);
        Assert.Equal(outcome.History.Max(h => h.ValidationAccuracy), outcome.BestValidationAccuracy);
        Assert.True(outcome.History[^1].TrainLoss < outcome.History[0].TrainLoss, "training loss did not fall");
        Assert.True(File.Exists(outcome.MetricsCsvPath));
        Assert.Equal(3, File.ReadAllLines(outcome.MetricsCsvPath).Length); // header + one line per epoch
        Assert.NotNull(outcome.CurvePngPath);
        Assert.True(new FileInfo(outcome.CurvePngPath!).Length > 1000);

        var info = ModelFile.ReadInfo(outcome.ModelPath);
        Assert.Equal(HandWriteCnn.ExpectedParameterCount, info.ParameterCount);
        Assert.Equal(outcome.BestEpoch, info.Epochs);
        Assert.Equal(outcome.BestValidationAccuracy, info.ValidationAccuracy, 6);
        Assert.Equal(7, info.Seed);
    }
}
