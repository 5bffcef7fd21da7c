using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using HandWrite.Core.Model;
using static TorchSharp.torch;

namespace HandWrite.Core.Training;

/// <summary>
/// Everything needed to continue a run exactly: the weights, Adam's state, the last finished epoch,
/// the history, and the recipe it was made with. Written atomically after every epoch.
/// </summary>
internal static class Checkpoint
{
    static readonly byte[] Magic = "HWCKPT\0\0"u8.ToArray();
    const int Version = 1;

    sealed record Header(int Epoch, List<EpochMetrics> History, long Seed, string Preset, int BatchSize, int? Subset, int ValidationSize, double LearningRate, int Epochs);

    public static void Save(string path, HandWriteCnn model, AdamOptimizer optimizer, int epoch, IReadOnlyList<EpochMetrics> history, TrainingOptions o)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            var header = JsonSerializer.SerializeToUtf8Bytes(new Header(epoch, history.ToList(), o.Seed, o.Preset.ToString(), o.BatchSize, o.Subset, o.ValidationSize, o.LearningRate, o.Epochs), ModelFile.Json);
            w.Write(header.Length); w.Write(header);
            var weights = ModelFile.Serialize(model, new ModelMetadata(HandWriteCnn.ArchitectureName, epoch, o.Seed, history[^1].ValidationAccuracy, DateTimeOffset.UtcNow, o.Preset.ToString()));
            w.Write(weights.Length); w.Write(weights);
            WriteAdamState(w, optimizer);
        }
        ms.Write(SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length)));
        AtomicFile.Write(path, ms.GetBuffer().AsSpan(0, (int)ms.Length));
    }

    public static (int Epoch, IReadOnlyList<EpochMetrics> History) Load(string path, HandWriteCnn model, AdamOptimizer optimizer, TrainingOptions o)
    {
        if (!File.Exists(path))
            throw new HandWriteException($"-Resume found no checkpoint at '{path}'. Run without -Resume to start a new training run.", HandWriteErrorKind.NotFound, target: path);
        var bytes = File.ReadAllBytes(path);
        HandWriteException Bad(string why) => new($"The checkpoint '{path}' {why}. Delete it and run without -Resume.", HandWriteErrorKind.InvalidData, target: path);
        if (bytes.Length < Magic.Length + 44 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic)) throw Bad("is not a HandWrite checkpoint");
        if (!SHA256.HashData(bytes.AsSpan(0, bytes.Length - 32)).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32))) throw Bad("is damaged (checksum mismatch)");

        using var r = new BinaryReader(new MemoryStream(bytes, 0, bytes.Length - 32));
        // Length fields are checked against what is left, so a crafted file cannot make us allocate or read past the end.
        byte[] Block()
        {
            int length = r.ReadInt32();
            if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position) throw Bad("is malformed (a length field points past its end)");
            return r.ReadBytes(length);
        }
        r.ReadBytes(Magic.Length);
        if (r.ReadInt32() != Version) throw Bad("was written by another version of HandWrite");
        Header header;
        try { header = JsonSerializer.Deserialize<Header>(Block(), ModelFile.Json) ?? throw Bad("has no header"); }
        catch (JsonException) { throw Bad("has an unreadable header"); }
        string Differs(string name, object? was, object? now) => $"was made with {name} {was}, not {now}: resuming would not continue the same run";
        if (header.Seed != o.Seed) throw Bad(Differs("-Seed", header.Seed, o.Seed));
        if (header.Preset != o.Preset.ToString()) throw Bad(Differs("-Preset", header.Preset, o.Preset));
        if (header.BatchSize != o.BatchSize) throw Bad(Differs("-BatchSize", header.BatchSize, o.BatchSize));
        if (header.Subset != o.Subset) throw Bad(Differs("-Subset", header.Subset?.ToString() ?? "(none)", o.Subset?.ToString() ?? "(none)"));
        if (header.ValidationSize != o.ValidationSize) throw Bad(Differs("-ValidationSize", header.ValidationSize, o.ValidationSize));
        if (header.Epochs != o.Epochs || header.LearningRate != o.LearningRate)
            throw Bad(Differs("-Epochs/-LearningRate", $"{header.Epochs}/{header.LearningRate}", $"{o.Epochs}/{o.LearningRate}"));

        var weights = Block();
        try { ModelFile.LoadInto(model, weights, path); }
        catch (HandWriteException ex) when (ex.Kind == HandWriteErrorKind.InvalidData) { throw Bad("holds a damaged model"); }
        ReadAdamState(r, optimizer, Bad);
        return (header.Epoch, header.History);
    }

    /// <summary>
    /// Adam's per-parameter state (step, first and second moments) as plain fp32 data. Written by us rather
    /// than TorchSharp's save_state_dict, which needs contiguous tensors (ours are channels-last) and trusts
    /// the lengths it reads back.
    /// </summary>
    static void WriteAdamState(BinaryWriter w, AdamOptimizer optimizer)
    {
        var states = optimizer.State;
        w.Write(states.Count);
        foreach (var state in states)
        {
            w.Write(state.Step);
            foreach (var moment in new[] { state.ExpAvg, state.ExpAvgSq })
            {
                using var scope = NewDisposeScope(); // holds the chain's temporaries (see ModelFile.ParameterBytes)
                var flat = moment.detach().contiguous().to(ScalarType.Float32);
                w.Write(flat.NumberOfElements);
                w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(flat.data<float>().ToArray().AsSpan()));
            }
        }
    }

    /// <summary>Copies into the optimizer's live state, which restores it.</summary>
    static void ReadAdamState(BinaryReader r, AdamOptimizer optimizer, Func<string, HandWriteException> bad)
    {
        var states = optimizer.State;
        if (r.ReadInt32() != states.Count) throw bad("holds optimizer state for another network");
        using var _ = no_grad();
        foreach (var state in states)
        {
            state.Step = r.ReadInt64();
            foreach (var moment in new[] { state.ExpAvg, state.ExpAvgSq })
            {
                long count = r.ReadInt64();
                if (count != moment.NumberOfElements || count * 4 > r.BaseStream.Length - r.BaseStream.Position)
                    throw bad("holds malformed optimizer state");
                var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(r.ReadBytes((int)count * 4)).ToArray();
                using var flat = tensor(values); // held until reshape returns (see HandWriteCnn's constructor)
                using var loaded = flat.reshape(moment.shape);
                moment.copy_(loaded);
            }
        }
        if (r.BaseStream.Position != r.BaseStream.Length) throw bad("has unexpected bytes after the optimizer state");
    }
}
