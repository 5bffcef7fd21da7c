using System.Buffers.Binary;
using System.Security.Cryptography;
using HandWrite.Core;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Core.Training;
using static HandWrite.Tests.Core.CoreTestSupport;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

/// <summary>Checkpoint files without training: round trip, and damaged or crafted files refused as InvalidData.</summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointTests : IDisposable
{
    readonly TempFolder _temp = new();
    public CheckpointTests() => TorchRuntime.EnsureInitialized();
    public void Dispose() => _temp.Dispose();

    TrainingOptions Options => new()
    {
        ModelPath = _temp["model.hwm"], Epochs = 2, Seed = 5, Preset = TrainingPreset.Seed, BatchSize = 64, Subset = 512, ValidationSize = 256,
    };

    static readonly EpochMetrics[] History = [new(1, 0.5, 0.8, 0.4, 0.85, 1e-3, TimeSpan.FromSeconds(3), 1000, true)];

    /// <summary>A checkpoint after one Adam step, so the optimizer state is not empty; returns the weights hash saved.</summary>
    string SaveCheckpoint()
    {
        using var model = HandWriteCnn.Create(9);
        using var adam = new AdamOptimizer(model.parameters());
        using (NewDisposeScope()) { model.forward(TestNoise.Normal(4, 1, 28, 28)).sum().backward(); adam.Step(1e-3); }
        Checkpoint.Save(Options.CheckpointPath, model, adam, 1, History, Options);
        return ModelFile.WeightsSha256(model);
    }

    HandWriteException LoadFails(byte[] bytes, string because)
    {
        File.WriteAllBytes(Options.CheckpointPath, bytes);
        using var model = HandWriteCnn.Create(10);
        using var adam = new AdamOptimizer(model.parameters());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Record.Exception(() => Checkpoint.Load(Options.CheckpointPath, model, adam, Options));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var hw = Assert.IsType<HandWriteException>(ex);
        Assert.True(hw.Kind == HandWriteErrorKind.InvalidData, $"{because}: {hw.Kind} {hw.Message}");
        Assert.Equal(Options.CheckpointPath, hw.Target);
        Assert.Contains("Delete it and run without -Resume", hw.Message);
        Assert.True(allocated < 256L << 20, $"{because}: allocated {allocated:N0} bytes");
        return hw;
    }

    static byte[] Rehash(byte[] b)
    {
        SHA256.HashData(b.AsSpan(0, b.Length - 32)).CopyTo(b.AsSpan(b.Length - 32));
        return b;
    }

    [Fact]
    public void Round_trip_restores_weights_epoch_and_history()
    {
        var saved = SaveCheckpoint();
        using var model = HandWriteCnn.Create(10);
        using var adam = new AdamOptimizer(model.parameters());
        Assert.NotEqual(saved, ModelFile.WeightsSha256(model));
        var (epoch, history) = Checkpoint.Load(Options.CheckpointPath, model, adam, Options);
        Assert.Equal(1, epoch);
        Assert.Equal(History, history);
        Assert.Equal(saved, ModelFile.WeightsSha256(model));
    }

    [Fact]
    public void Damaged_and_crafted_checkpoints_are_InvalidData()
    {
        SaveCheckpoint();
        var valid = File.ReadAllBytes(Options.CheckpointPath);
        int headerLength = BinaryPrimitives.ReadInt32LittleEndian(valid.AsSpan(12));
        int weightsLengthAt = 16 + headerLength;
        byte[] With(Action<byte[]> edit) { var b = (byte[])valid.Clone(); edit(b); return Rehash(b); }

        LoadFails(valid[..^1], "truncated by one byte");
        LoadFails(valid[..40], "truncated to 40 bytes");
        LoadFails([], "empty");
        var flipped = (byte[])valid.Clone(); flipped[valid.Length / 2] ^= 4;
        Assert.Contains("checksum", LoadFails(flipped, "flipped byte").Message);
        LoadFails(With(b => b[0] = (byte)'X'), "wrong magic");
        // Crafted: the checksum is right, the structure lies.
        LoadFails(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), -1)), "negative header length");
        LoadFails(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), int.MaxValue)), "header length int.MaxValue");
        LoadFails(With(b => b[16] = (byte)'#'), "header that is not JSON");
        LoadFails(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(weightsLengthAt), -5)), "negative weights length");
        LoadFails(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(weightsLengthAt), int.MaxValue)), "weights length int.MaxValue");
        LoadFails(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(weightsLengthAt), 1000)), "weights length too short");
    }
}
