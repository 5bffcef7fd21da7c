using HandWrite.Core.Training;

namespace HandWrite.Tests;

/// <summary>
/// One short real training run on the real MNIST files, shared by every test that needs a trained
/// model (training is the slowest thing tests do; once is enough). 10,000 training images, 2 epochs,
/// the default (Best) recipe.
/// </summary>
public sealed class TrainedModelFixture : IDisposable
{
    public string Folder { get; } = TestEnvironment.NewTempFolder("trained");
    public TrainingOptions Options { get; }
    public TrainingOutcome Outcome { get; }
    public string ModelPath => Outcome.ModelPath;

    public TrainedModelFixture()
    {
        Options = new TrainingOptions
        {
            Epochs = 2, Subset = 20_000, ValidationSize = 1_000, Seed = 7,
            DataPath = TestEnvironment.MnistFolder, ModelPath = Path.Combine(Folder, "short.hwm"),
        };
        Outcome = Trainer.Train(Options, null, null, CancellationToken.None);
    }

    public void Dispose() { try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } }
}

[CollectionDefinition(Name)]
public sealed class TrainedModelCollection : ICollectionFixture<TrainedModelFixture>
{
    public const string Name = "Trained model";
}
