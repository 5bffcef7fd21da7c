using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using HandWrite.Core;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using static HandWrite.Tests.Core.CoreTestSupport;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

/// <summary>The .hwm model file against hostile and damaged input, and its round trip and atomic save.</summary>
[Collection(TorchCollection.Name)]
public sealed class ModelFileTests : IDisposable
{
    readonly TempFolder _temp = new();
    static readonly ModelMetadata Meta = new(HandWriteCnn.ArchitectureName, 3, 42, 0.987, new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), "Seed");

    public ModelFileTests() => TorchRuntime.EnsureInitialized();
    public void Dispose() => _temp.Dispose();

    static HandWriteCnn Model(long seed) => HandWriteCnn.Create(seed);

    static readonly Lazy<byte[]> ValidBytes = new(() => { TorchRuntime.EnsureInitialized(); using var m = Model(11); return ModelFile.Serialize(m, Meta); });

    static int MetadataLength(byte[] b) => BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(12));
    /// <summary>Offset of the first parameter's record (its name length).</summary>
    static int FirstParameter(byte[] b) => 16 + MetadataLength(b) + 4;

    static byte[] Rehash(byte[] b)
    {
        SHA256.HashData(b.AsSpan(0, b.Length - 32)).CopyTo(b.AsSpan(b.Length - 32));
        return b;
    }

    /// <summary>Parses hostile bytes: must be a HandWriteException of <paramref name="kind"/>, fast, without large allocations.</summary>
    static HandWriteException Refused(byte[] bytes, string because, HandWriteErrorKind kind = HandWriteErrorKind.InvalidData)
    {
        var clock = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<HandWriteException>(() => ModelFile.Parse(bytes, "hostile.hwm"));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(ex.Kind == kind, $"{because}: expected {kind}, got {ex.Kind}: {ex.Message}");
        Assert.Equal("hostile.hwm", ex.Target);
        Assert.Contains("Pass -ModelPath to a model written by Invoke-DigitTraining", ex.Message);
        Assert.True(allocated < 3L * ValidBytes.Value.Length, $"{because}: allocated {allocated:N0} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{because}: took {clock.Elapsed}");
        return ex;
    }

    [Fact]
    public void Valid_bytes_parse_and_name_their_weights_hash()
    {
        var (meta, version, values, hash) = ModelFile.Parse(ValidBytes.Value, "ok.hwm");
        Assert.Equal(Meta, meta);
        Assert.Equal(ModelFile.FormatVersion, version);
        Assert.Equal(14, values.Count);
        Assert.Equal(HandWriteCnn.ExpectedParameterCount, values.Sum(v => (long)v.Length));
        using var m = Model(11);
        Assert.Equal(ModelFile.WeightsSha256(m), hash);
    }

    [Fact]
    public void Truncated_at_many_offsets_is_InvalidData()
    {
        var valid = ValidBytes.Value;
        int first = FirstParameter(valid);
        foreach (var length in new[] { 0, 1, 7, 8, 11, 12, 15, 16, 40, first - 1, first, first + 5, first + 20, 100_000, valid.Length / 2, valid.Length - 33, valid.Length - 32, valid.Length - 1 })
            Refused(valid[..length], $"truncated to {length} bytes");
    }

    [Fact]
    public void Truncated_files_on_disk_are_InvalidData_through_Load()
    {
        var valid = ValidBytes.Value;
        foreach (var length in new[] { 0, 12, valid.Length / 3, valid.Length - 1 })
        {
            var path = _temp[$"cut{length}.hwm"];
            File.WriteAllBytes(path, valid[..length]);
            var ex = Throws(HandWriteErrorKind.InvalidData, () => ModelFile.Load(path));
            Assert.Equal(path, ex.Target);
        }
    }

    [Fact]
    public void A_flipped_byte_anywhere_is_InvalidData()
    {
        var valid = ValidBytes.Value;
        int first = FirstParameter(valid);
        var spots = new Dictionary<string, int>
        {
            ["magic"] = 0, ["magic end"] = 7, ["version"] = 8, ["metadata length"] = 13, ["metadata"] = 16 + MetadataLength(valid) / 2,
            ["parameter count"] = first - 4, ["first name"] = first + 3, ["first shape"] = first + 2 + 12 + 1 + 1,
            ["conv1 data"] = first + 100, ["fc1 data"] = valid.Length / 2, ["last data"] = valid.Length - 33, ["checksum"] = valid.Length - 1,
        };
        foreach (var (region, at) in spots)
        {
            var bytes = (byte[])valid.Clone();
            bytes[at] ^= 0x10;
            var ex = Refused(bytes, region);
            if (at >= 12) Assert.Contains("damaged", ex.Message);
        }
    }

    [Fact]
    public void Lying_length_fields_with_a_valid_checksum_are_refused_before_allocation()
    {
        var valid = ValidBytes.Value;
        int first = FirstParameter(valid);
        int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(valid.AsSpan(first));
        int rankAt = first + 2 + nameLength, dimsAt = rankAt + 1;
        Assert.Equal("conv1.weight", Encoding.UTF8.GetString(valid, first + 2, nameLength));

        byte[] With(Action<byte[]> edit) { var b = (byte[])valid.Clone(); edit(b); return Rehash(b); }

        Assert.Contains("metadata", Refused(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), int.MaxValue)), "metadata length int.MaxValue").Message);
        Refused(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), -1)), "negative metadata length");
        Refused(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), 60_000)), "metadata length into the weights");
        Refused(With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(first - 4), int.MaxValue)), "parameter count int.MaxValue");
        Refused(With(b => BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(first), ushort.MaxValue)), "name length 65535");
        Refused(With(b => b[rankAt] = 255), "rank 255");
        var terabytes = Refused(With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(dimsAt), 1L << 40)), "a dim of 2^40 (4 TB of floats)");
        Assert.Contains("1099511627776", terabytes.Message);
        Refused(With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(dimsAt), long.MaxValue)), "a dim of long.MaxValue");
        Refused(With(b => BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(dimsAt), -32)), "a negative dim");
        Refused(With(b => { b[16] = (byte)'#'; }), "metadata that is not JSON");
    }

    [Fact]
    public void Wrong_architecture_newer_version_NaN_and_trailing_bytes_are_refused_with_reasons()
    {
        using var m = Model(12);
        var other = ModelFile.Serialize(m, Meta with { Architecture = "ResNet-50" });
        var ex = Refused(other, "other architecture");
        Assert.Contains("'ResNet-50'", ex.Message);
        Assert.Contains(HandWriteCnn.ArchitectureName, ex.Message);

        var newer = (byte[])ValidBytes.Value.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(newer.AsSpan(8), ModelFile.FormatVersion + 1);
        Assert.Contains("update HandWrite", Refused(Rehash(newer), "newer format").Message);
        var older = (byte[])ValidBytes.Value.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(older.AsSpan(8), 0);
        Assert.Contains("unknown model format 0", Refused(Rehash(older), "format 0").Message);

        var nan = (byte[])ValidBytes.Value.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(nan.AsSpan(nan.Length - 32 - 4), float.NaN); // the last bias value
        Assert.Contains("non-finite", Refused(Rehash(nan), "NaN weight").Message);

        var longer = new byte[ValidBytes.Value.Length + 4];
        ValidBytes.Value.AsSpan(0, ValidBytes.Value.Length - 32).CopyTo(longer);
        Assert.Contains("unexpected bytes", Refused(Rehash(longer), "trailing bytes").Message);
    }

    [Fact]
    public void Foreign_files_are_named_for_what_they_are()
    {
        var zip = new byte[200]; "PK\x03\x04"u8.CopyTo(zip);
        Assert.Contains("zip archive", Refused(zip, "zip").Message);
        var pickle = new byte[200]; pickle[0] = 0x80; pickle[1] = 0x02; pickle[2] = (byte)'}';
        Assert.Contains("Python pickle", Refused(pickle, "pickle").Message);
        Assert.Contains("not a HandWrite model", Refused([], "empty").Message);
        Assert.Contains("not a HandWrite model", Refused(Encoding.UTF8.GetBytes(new string('x', 500)), "text").Message);
    }

    [Fact]
    public void Paths_that_are_not_model_files_get_the_right_kind()
    {
        var empty = _temp["empty.hwm"];
        File.WriteAllBytes(empty, []);
        Assert.Equal(empty, Throws(HandWriteErrorKind.InvalidData, () => ModelFile.Load(empty)).Target);
        Assert.Contains("is a folder", Throws(HandWriteErrorKind.InvalidArgument, () => ModelFile.Load(_temp.Path)).Message);
        var missing = _temp["missing.hwm"];
        var ex = Throws(HandWriteErrorKind.NotFound, () => ModelFile.ReadInfo(missing));
        Assert.Equal(missing, ex.Target);
        Assert.Contains("Invoke-DigitTraining", ex.Message);
    }

    [Fact]
    public void A_100MB_file_is_refused_by_its_size_before_reading()
    {
        ModelFile.Parse(ValidBytes.Value, "warm-up"); // builds the cached layout outside the measurement
        var big = _temp["zeros.hwm"];
        using (var fs = new FileStream(big, FileMode.CreateNew)) fs.SetLength(100L << 20);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var ex = Throws(HandWriteErrorKind.InvalidData, () => ModelFile.Load(big));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("larger than any HandWrite model", ex.Message);
        Assert.True(allocated < 1L << 20, $"refusing a 100 MB file allocated {allocated:N0} bytes");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Save_and_load_round_trip_keeps_weights_and_metadata()
    {
        using var m = Model(21);
        var path = _temp["a/b/model.hwm"]; // missing folders are created
        ModelFile.Save(m, Meta, path);
        var (loaded, info) = ModelFile.Load(path);
        using (loaded)
        {
            Assert.Equal(ModelFile.WeightsSha256(m), info.WeightsSha256);
            Assert.Equal(ModelFile.WeightsSha256(m), ModelFile.WeightsSha256(loaded));
            Assert.Equal((Meta.Epochs, Meta.Seed, Meta.ValidationAccuracy, Meta.TrainedAt, Meta.Preset), (info.Epochs, info.Seed, info.ValidationAccuracy, info.TrainedAt, info.Preset));
            Assert.Equal(new FileInfo(path).Length, info.FileSize);
            Assert.Equal(HandWriteCnn.ExpectedParameterCount, info.ParameterCount);
            Assert.False(loaded.training, "Load returns the model in eval mode");
            using var _ = no_grad();
            using var scope = NewDisposeScope(); // holds temporaries until the native calls reading them return
            using var x = TestNoise.Normal(4, 1, 28, 28);
            m.eval();
            Assert.True(m.forward(x).eq(loaded.forward(x)).all().item<bool>());
        }
        Assert.Equal(info.WeightsSha256, ModelFile.ReadInfo(path).WeightsSha256);
    }

    [Fact]
    public void Two_saves_of_the_same_weights_have_the_same_WeightsSha256_and_different_weights_differ()
    {
        using var m = Model(22);
        ModelFile.Save(m, Meta, _temp["one.hwm"]);
        ModelFile.Save(m, Meta with { TrainedAt = DateTimeOffset.UtcNow, Epochs = 9 }, _temp["two.hwm"]);
        Assert.NotEqual(Sha256(File.ReadAllBytes(_temp["one.hwm"])), Sha256(File.ReadAllBytes(_temp["two.hwm"])));
        Assert.Equal(ModelFile.ReadInfo(_temp["one.hwm"]).WeightsSha256, ModelFile.ReadInfo(_temp["two.hwm"]).WeightsSha256);
        using var other = Model(23);
        ModelFile.Save(other, Meta, _temp["three.hwm"]);
        Assert.NotEqual(ModelFile.ReadInfo(_temp["one.hwm"]).WeightsSha256, ModelFile.ReadInfo(_temp["three.hwm"]).WeightsSha256);
    }

    [Fact]
    public async Task Readers_only_ever_see_a_whole_old_or_new_file_while_it_is_saved_over_and_over()
    {
        using var a = Model(31);
        using var b = Model(32);
        string hashA = ModelFile.WeightsSha256(a), hashB = ModelFile.WeightsSha256(b);
        var path = _temp["busy.hwm"];
        ModelFile.Save(a, Meta, path);
        using var stop = new CancellationTokenSource();
        using var firstRead = new ManualResetEventSlim();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try { seen.Enqueue(ModelFile.ReadInfo(path).WeightsSha256); }
                catch (HandWriteException ex) { seen.Enqueue("ERROR " + ex.Message); }
                firstRead.Set();
            }
        });
        // Save while the reader is known to be reading, until it has read a good number of times (bounded).
        Assert.True(firstRead.Wait(TimeSpan.FromSeconds(30)), "the reader never ran");
        for (int i = 0; i < 20 || (seen.Count < 20 && i < 500); i++) ModelFile.Save(i % 2 == 0 ? b : a, Meta, path);
        stop.Cancel();
        await reader;
        Assert.True(seen.Count >= 2, $"only {seen.Count} reads overlapped the saves");
        Assert.All(seen, h => Assert.True(h == hashA || h == hashB, h));
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
    }

    [Fact]
    public void A_failed_save_keeps_the_existing_good_file_and_leaves_no_temp_file()
    {
        using var good = Model(41);
        using var newer = Model(42);
        var folder = Directory.CreateDirectory(_temp["ro"]).FullName;
        var path = Path.Combine(folder, "model.hwm");
        ModelFile.Save(good, Meta, path);
        var goodHash = ModelFile.ReadInfo(path).WeightsSha256;

        using (ReadOnlyFolder(folder))
        {
            var ex = Throws(HandWriteErrorKind.PermissionDenied, () => ModelFile.Save(newer, Meta, path));
            Assert.Equal(path, ex.Target);
            Assert.Contains("Choose a folder you can write to", ex.Message);
            Assert.Equal(goodHash, ModelFile.ReadInfo(path).WeightsSha256);
        }
        Assert.Equal(new[] { path }, Directory.GetFiles(folder));

        // Rename fails (the target is a non-empty folder): the written temp file is removed again.
        var blocked = Directory.CreateDirectory(_temp["blocked.hwm"]).FullName;
        File.WriteAllText(Path.Combine(blocked, "keep.txt"), "x");
        Assert.Throws<HandWriteException>(() => ModelFile.Save(newer, Meta, blocked));
        Assert.Empty(Directory.GetFiles(_temp.Path, "*.tmp"));
        Assert.Empty(Directory.GetFiles(_temp.Path, ".*"));
    }
}
