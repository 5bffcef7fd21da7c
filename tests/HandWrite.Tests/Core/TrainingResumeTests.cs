using System.Buffers.Binary;
using HandWrite.Core;
using HandWrite.Core.Model;
using HandWrite.Core.Training;
using static HandWrite.Tests.Core.CoreTestSupport;

namespace HandWrite.Tests.Core;

/// <summary>Tiny real training runs (512 images, 2 epochs): determinism, exact resume, and what cancelling leaves behind.</summary>
[Collection(TorchCollection.Name)]
public sealed class TrainingResumeTests : IDisposable
{
    readonly TempFolder _temp = new();
    public void Dispose() => _temp.Dispose();

    sealed class Synchronous<T>(Action<T> report) : IProgress<T> { public void Report(T value) => report(value); }

    TrainingOptions Options(string name, TrainingPreset preset, long seed = 5, bool resume = false) => new()
    {
        DataPath = TestEnvironment.MnistFolder, ModelPath = _temp[name + "/model.hwm"], Subset = 512, Epochs = 2, Preset = preset,
        Seed = seed, BatchSize = 64, ValidationSize = 256, Resume = resume,
    };

    /// <summary>WeightsSha256 of the model embedded in a checkpoint: the last epoch's weights, best or not.</summary>
    static (int Epoch, string WeightsHash) CheckpointWeights(string path)
    {
        var b = File.ReadAllBytes(path);
        int pos = 8 + 4;
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos)); pos += 4 + headerLength;
        int weightsLength = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos)); pos += 4;
        var (meta, _, _, hash) = ModelFile.Parse(b.AsSpan(pos, weightsLength).ToArray(), path);
        return (meta.Epochs, hash);
    }

    static TrainingOutcome Run(TrainingOptions o, CancellationToken ct = default, IProgress<TrainingProgress>? progress = null) =>
        Trainer.Train(o, progress, null, ct);

    /// <summary>Starts a 2-epoch run and cancels it as soon as epoch 2 reports progress: epoch 1's files exist, epoch 2's do not.</summary>
    void RunEpochOneThenCancel(TrainingOptions o)
    {
        using var cts = new CancellationTokenSource();
        var progress = new Synchronous<TrainingProgress>(p => { if (p.Epoch == 2) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => Run(o, cts.Token, progress));
        Assert.True(cts.IsCancellationRequested, "the run ended without reaching epoch 2");
    }

    void AssertNoTempFiles(TrainingOptions o) =>
        Assert.DoesNotContain(Directory.GetFiles(Path.GetDirectoryName(o.ModelPath)!), f => f.EndsWith(".tmp") || Path.GetFileName(f).StartsWith(".handwrite-probe"));

    [Theory]
    [InlineData(TrainingPreset.Seed)]
    [InlineData(TrainingPreset.Best)]
    public void Stopped_after_epoch_1_and_resumed_ends_with_the_same_weights_as_an_unbroken_run(TrainingPreset preset)
    {
        var full = Options("full", preset);
        var outcome = Run(full);
        Assert.Equal(2, outcome.History.Count);
        Assert.Equal(new[] { 1, 2 }, outcome.History.Select(h => h.Epoch));
        var (fullEpoch, fullHash) = CheckpointWeights(full.CheckpointPath);
        Assert.Equal(2, fullEpoch);

        var broken = Options("broken", preset);
        RunEpochOneThenCancel(broken);
        // Cancelling left epoch 1's model file whole and loadable, and its checkpoint.
        var (m1, info1) = ModelFile.Load(broken.ModelPath);
        m1.Dispose();
        Assert.Equal(1, info1.Epochs);
        Assert.Equal(1, CheckpointWeights(broken.CheckpointPath).Epoch);
        AssertNoTempFiles(broken);

        var resumed = Run(Options("broken", preset, resume: true));
        Assert.Equal(new[] { 1, 2 }, resumed.History.Select(h => h.Epoch));
        var (resumedEpoch, resumedHash) = CheckpointWeights(broken.CheckpointPath);
        Assert.Equal(2, resumedEpoch);
        Assert.Equal(fullHash, resumedHash);
        Assert.Equal(ModelFile.ReadInfo(full.ModelPath).WeightsSha256, ModelFile.ReadInfo(broken.ModelPath).WeightsSha256);
        Assert.Equal(outcome.History.Select(h => h.ValidationAccuracy), resumed.History.Select(h => h.ValidationAccuracy));
        Assert.Equal(outcome.History.Select(h => h.TrainLoss), resumed.History.Select(h => h.TrainLoss));
        AssertNoTempFiles(broken);

        // Resuming a finished run trains nothing more: same history, same weights.
        var again = Run(Options("broken", preset, resume: true));
        Assert.Equal(resumed.History, again.History);
        Assert.Equal(resumedHash, CheckpointWeights(broken.CheckpointPath).WeightsHash);
        Assert.Equal(ModelFile.ReadInfo(full.ModelPath).WeightsSha256, ModelFile.ReadInfo(broken.ModelPath).WeightsSha256);
    }

    [Fact]
    public void Same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        var a = Options("a", TrainingPreset.Seed);
        var b = Options("b", TrainingPreset.Seed);
        Run(a);
        Run(b);
        Assert.Equal(CheckpointWeights(a.CheckpointPath).WeightsHash, CheckpointWeights(b.CheckpointPath).WeightsHash);
        Assert.Equal(ModelFile.ReadInfo(a.ModelPath).WeightsSha256, ModelFile.ReadInfo(b.ModelPath).WeightsSha256);

        // Resuming a's finished-at-epoch-1 state under another seed would silently start a different run: refused.
        var c = Options("c", TrainingPreset.Seed);
        RunEpochOneThenCancel(c);
        var ex = Throws(HandWriteErrorKind.InvalidData, () => Run(Options("c", TrainingPreset.Seed, seed: 6, resume: true)));
        Assert.Equal(c.CheckpointPath, ex.Target);
        Assert.Contains("-Seed 5", ex.Message);
        Assert.Contains("run without -Resume", ex.Message);
        var otherPreset = Throws(HandWriteErrorKind.InvalidData, () => Run(Options("c", TrainingPreset.Best, resume: true)));
        Assert.Contains("-Preset", otherPreset.Message);
        // The refused resumes did not touch the checkpoint.
        Assert.Equal(1, CheckpointWeights(c.CheckpointPath).Epoch);

        var d = Options("d", TrainingPreset.Seed, seed: 6);
        Run(d);
        Assert.NotEqual(CheckpointWeights(a.CheckpointPath).WeightsHash, CheckpointWeights(d.CheckpointPath).WeightsHash);
    }

    [Fact]
    public void With_no_validation_images_every_epoch_is_saved_and_the_last_one_is_kept()
    {
        TrainingOptions Unvalidated(string name, bool resume = false) => new()
        {
            DataPath = TestEnvironment.MnistFolder, ModelPath = _temp[name + "/model.hwm"], Subset = 512, Epochs = 2, Seed = 5, BatchSize = 64, ValidationSize = 0, Resume = resume,
        };
        var all = Unvalidated("all");
        var outcome = Run(all);

        Assert.All(outcome.History, h => Assert.True(h.IsBest && double.IsNaN(h.ValidationAccuracy) && double.IsNaN(h.ValidationLoss)));
        Assert.Equal(2, outcome.BestEpoch);
        Assert.True(double.IsNaN(outcome.BestValidationAccuracy));
        // The model file holds the last epoch (the checkpoint's weights) and says it was not validated.
        var info = ModelFile.ReadInfo(all.ModelPath);
        Assert.Equal((2, CheckpointWeights(all.CheckpointPath).WeightsHash), (info.Epochs, info.WeightsSha256));
        Assert.True(double.IsNaN(info.ValidationAccuracy));
        Assert.Equal(2, File.ReadAllLines(all.MetricsCsvPath).Count(l => l.Contains(",NaN,NaN,")));

        // Stopped after epoch 1 and resumed: the same last epoch as the unbroken run (the NaN history round-trips).
        var broken = Unvalidated("all-broken");
        RunEpochOneThenCancel(broken);
        Assert.True(double.IsNaN(ModelFile.ReadInfo(broken.ModelPath).ValidationAccuracy));
        var resumed = Run(Unvalidated("all-broken", resume: true));
        Assert.Equal(2, resumed.BestEpoch);
        Assert.Equal(info.WeightsSha256, ModelFile.ReadInfo(broken.ModelPath).WeightsSha256);

        // Nothing held out: all 60,000 training images are trained on.
        var (train, validation) = HandWrite.Core.Data.MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 0, null, seed: 5);
        using (train) using (validation) Assert.Equal((60_000, 0), (train.Count, validation.Count));
        var negative = Throws(HandWriteErrorKind.InvalidArgument, () => Run(new TrainingOptions { DataPath = TestEnvironment.MnistFolder, ModelPath = _temp["negative/model.hwm"], ValidationSize = -1 }));
        Assert.Contains("between 0 and 30000", negative.Message);
    }

    [Fact]
    public void Resume_without_a_checkpoint_is_NotFound()
    {
        var o = Options("none", TrainingPreset.Seed, resume: true);
        var ex = Throws(HandWriteErrorKind.NotFound, () => Run(o));
        Assert.Equal(o.CheckpointPath, ex.Target);
        Assert.Contains("Run without -Resume", ex.Message);
        Assert.False(File.Exists(o.ModelPath));
    }

    [Fact]
    public void A_damaged_checkpoint_is_InvalidData()
    {
        var o = Options("damaged", TrainingPreset.Seed);
        RunEpochOneThenCancel(o);
        var bytes = File.ReadAllBytes(o.CheckpointPath);
        bytes[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(o.CheckpointPath, bytes);
        var ex = Throws(HandWriteErrorKind.InvalidData, () => Run(Options("damaged", TrainingPreset.Seed, resume: true)));
        Assert.Contains("checksum", ex.Message);
        Assert.Contains("Delete it", ex.Message);
    }
}
