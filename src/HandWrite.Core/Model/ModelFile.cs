using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Core.Model;

/// <summary>What a model file says about itself.</summary>
public sealed class ModelInfo
{
    public required string Path { get; init; }
    public required string Architecture { get; init; }
    public required long ParameterCount { get; init; }
    public required int Epochs { get; init; }
    public required long Seed { get; init; }
    /// <summary>NaN for a model trained with no validation images (-ValidationSize 0).</summary>
    public required double ValidationAccuracy { get; init; }
    public required DateTimeOffset TrainedAt { get; init; }
    /// <summary>sha256 of the parameter values (fp32, little-endian, in parameter order): equal weights, equal hash.</summary>
    public required string WeightsSha256 { get; init; }
    public required int FormatVersion { get; init; }
    public required string Preset { get; init; }
    public required long FileSize { get; init; }
}

/// <summary>Metadata stored in a model file (JSON, bounded size).</summary>
public sealed record ModelMetadata(string Architecture, int Epochs, long Seed, double ValidationAccuracy, DateTimeOffset TrainedAt, string Preset);

/// <summary>
/// HandWrite's model file (.hwm): "HWMODEL\0", format version, JSON metadata, then each parameter
/// (name, shape, fp32 data) in the network's own order, then a sha256 of everything before it.
/// Loading checks size, checksum, names and shapes against the architecture before it allocates a
/// tensor, and never executes anything from the file (unlike pickle-based .pt files).
/// </summary>
public static class ModelFile
{
    public const int FormatVersion = 1;
    public const string Extension = ".hwm";
    static readonly byte[] Magic = "HWMODEL\0"u8.ToArray();
    /// <summary>
    /// JSON of model metadata and checkpoint headers. A model trained with no validation images (-ValidationSize 0)
    /// has no validation accuracy: NaN, which plain JSON cannot hold, is written as the string "NaN".
    /// </summary>
    internal static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    const int MaxMetadataBytes = 64 * 1024;

    /// <summary>The network's parameters as (name, shape), in order: what every valid file must hold.</summary>
    static readonly Lazy<(string Name, long[] Shape)[]> Layout = new(() =>
    {
        TorchRuntime.EnsureInitialized();
        using var model = new HandWriteCnn();
        return model.named_parameters().Select(p => (p.name, p.parameter.shape)).ToArray();
    });

    static long ExpectedFileSizeLimit =>
        Magic.Length + 8 + MaxMetadataBytes + 4 + Layout.Value.Sum(p => 2 + p.Name.Length + 1 + 8 * p.Shape.Length + 4 * p.Shape.Aggregate(1L, (a, b) => a * b)) + 32;

    /// <summary>Writes the model atomically: a temp file beside the target, flushed, then renamed over it.</summary>
    public static void Save(HandWriteCnn model, ModelMetadata metadata, string path)
    {
        var bytes = Serialize(model, metadata);
        AtomicFile.Write(path, bytes);
    }

    internal static byte[] Serialize(HandWriteCnn model, ModelMetadata metadata)
    {
        using var ms = new MemoryStream();
        using var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(FormatVersion);
        var json = JsonSerializer.SerializeToUtf8Bytes(metadata, Json);
        w.Write(json.Length);
        w.Write(json);
        var parameters = model.named_parameters().ToList();
        w.Write(parameters.Count);
        foreach (var (name, p) in parameters)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            w.Write((ushort)nameBytes.Length);
            w.Write(nameBytes);
            w.Write((byte)p.shape.Length);
            foreach (var d in p.shape) w.Write(d);
            w.Write(ParameterBytes(p));
        }
        w.Flush();
        var hash = SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        ms.Write(hash);
        return ms.ToArray();
    }

    static byte[] ParameterBytes(Tensor p)
    {
        // The scope holds the chain's temporaries: one reachable only through its handle could be finalized
        // while the next native call still reads it (.to and .contiguous return the same tensor when nothing
        // changes, retaining the temporary's storage: a crash in libtorch if the GC freed it meanwhile).
        using var scope = NewDisposeScope();
        var cpu = p.detach().to(ScalarType.Float32, CPU).contiguous();
        var bytes = new byte[cpu.NumberOfElements * 4];
        cpu.data<float>().CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan()));
        return bytes; // little-endian on every platform libtorch ships for
    }

    /// <summary>Hash of the parameter values alone, so two models can be compared whatever their metadata.</summary>
    public static string WeightsSha256(HandWriteCnn model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (_, p) in model.named_parameters()) sha.AppendData(ParameterBytes(p));
        return Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant();
    }

    /// <summary>Reads and validates the file; returns its metadata and the parameter values.</summary>
    static (ModelMetadata Metadata, int Version, List<float[]> Values, string WeightsHash, long Size) Read(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        FileInfo file = new(path);
        if (Directory.Exists(path))
            throw Invalid(path, "is a folder, not a model file", HandWriteErrorKind.InvalidArgument);
        if (!file.Exists)
            throw new HandWriteException($"No model at '{path}'. Train one with Invoke-DigitTraining, or pass -ModelPath to a .hwm file.", HandWriteErrorKind.NotFound, target: path);
        if (file.Length > ExpectedFileSizeLimit)
            throw Invalid(path, $"is {file.Length:N0} bytes, larger than any HandWrite model can be");

        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (UnauthorizedAccessException ex) { throw new HandWriteException($"Cannot read '{path}': permission denied.", HandWriteErrorKind.PermissionDenied, ex, path); }
        var (metadata, version, values, hash) = Parse(bytes, path);
        return (metadata, version, values, hash, bytes.LongLength);
    }

    /// <summary>Validates and decodes model bytes; <paramref name="path"/> names them in errors.</summary>
    internal static (ModelMetadata Metadata, int Version, List<float[]> Values, string WeightsHash) Parse(byte[] bytes, string path)
    {
        var s = bytes.AsSpan();
        if (s.Length < Magic.Length + 8 + 32 || !s[..Magic.Length].SequenceEqual(Magic))
            throw Invalid(path, DescribeForeign(s));
        int version = BinaryPrimitives.ReadInt32LittleEndian(s[Magic.Length..]);
        if (version != FormatVersion)
            throw Invalid(path, version > FormatVersion
                ? $"uses model format {version}, newer than this HandWrite reads ({FormatVersion}); update HandWrite"
                : $"uses unknown model format {version}");
        var body = s[..^32];
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(s[^32..]))
            throw Invalid(path, "is damaged (its checksum does not match: truncated or altered)");

        int pos = Magic.Length + 4;
        int bodyLength = body.Length;
        int Int32() { var v = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos)); pos += 4; return v; }
        void Need(long n) { if (n < 0 || pos + n > bodyLength) throw Invalid(path, "is truncated or malformed"); }

        Need(4);
        int metaLength = Int32();
        if (metaLength is <= 0 or > MaxMetadataBytes) throw Invalid(path, "has a malformed metadata block");
        Need(metaLength);
        ModelMetadata metadata;
        try { metadata = JsonSerializer.Deserialize<ModelMetadata>(body.Slice(pos, metaLength), Json) ?? throw new JsonException(); }
        catch (JsonException) { throw Invalid(path, "has unreadable metadata"); }
        pos += metaLength;
        if (metadata.Architecture != HandWriteCnn.ArchitectureName)
            throw Invalid(path, $"holds a '{metadata.Architecture}' network; this HandWrite runs '{HandWriteCnn.ArchitectureName}'");

        var layout = Layout.Value;
        Need(4);
        if (Int32() != layout.Length) throw Invalid(path, "does not hold the HandWrite CNN's parameters");
        var values = new List<float[]>(layout.Length);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, shape) in layout)
        {
            Need(2);
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(body[pos..]); pos += 2;
            Need(nameLength + 1);
            var actualName = Encoding.UTF8.GetString(body.Slice(pos, nameLength)); pos += nameLength;
            int rank = body[pos++];
            Need(8L * rank);
            var dims = new long[rank];
            for (int i = 0; i < rank; i++) { dims[i] = BinaryPrimitives.ReadInt64LittleEndian(body[pos..]); pos += 8; }
            if (actualName != name || !dims.SequenceEqual(shape))
                throw Invalid(path, $"has parameter '{actualName}' [{string.Join(",", dims)}] where the HandWrite CNN has '{name}' [{string.Join(",", shape)}]");
            long count = shape.Aggregate(1L, (a, b) => a * b);
            Need(count * 4);
            var data = body.Slice(pos, (int)count * 4);
            sha.AppendData(data);
            var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(data).ToArray();
            if (!floats.All(float.IsFinite)) throw Invalid(path, $"has non-finite values in '{name}'");
            values.Add(floats);
            pos += (int)count * 4;
        }
        if (pos != body.Length) throw Invalid(path, "has unexpected bytes after its parameters");
        return (metadata, version, values, Convert.ToHexString(sha.GetHashAndReset()).ToLowerInvariant());
    }

    public static ModelInfo ReadInfo(string path)
    {
        var (meta, version, _, hash, size) = Read(path);
        return ToInfo(System.IO.Path.GetFullPath(path), meta, version, hash, size);
    }

    /// <summary>Loads a model in evaluation mode.</summary>
    public static (HandWriteCnn Model, ModelInfo Info) Load(string path)
    {
        var (meta, version, values, hash, size) = Read(path);
        var model = new HandWriteCnn();
        CopyInto(model, values);
        model.eval();
        return (model, ToInfo(System.IO.Path.GetFullPath(path), meta, version, hash, size));
    }

    /// <summary>Overwrites <paramref name="model"/>'s parameters with those in model bytes (checkpoints embed a model).</summary>
    internal static ModelMetadata LoadInto(HandWriteCnn model, byte[] bytes, string source)
    {
        var (meta, _, values, _) = Parse(bytes, source);
        CopyInto(model, values);
        return meta;
    }

    static void CopyInto(HandWriteCnn model, List<float[]> values)
    {
        using var _ = no_grad();
        int i = 0;
        foreach (var (_, p) in model.named_parameters())
        {
            using var t = tensor(values[i++], p.shape);
            p.copy_(t);
        }
    }

    static ModelInfo ToInfo(string path, ModelMetadata m, int version, string hash, long size) => new()
    {
        Path = path, Architecture = m.Architecture, ParameterCount = Layout.Value.Sum(p => p.Shape.Aggregate(1L, (a, b) => a * b)), Epochs = m.Epochs,
        Seed = m.Seed, ValidationAccuracy = m.ValidationAccuracy, TrainedAt = m.TrainedAt, WeightsSha256 = hash,
        FormatVersion = version, Preset = m.Preset, FileSize = size,
    };

    static string DescribeForeign(ReadOnlySpan<byte> s) =>
        s.Length >= 4 && s[0] == (byte)'P' && s[1] == (byte)'K' ? "is a zip archive (a PyTorch .pt/.pth file?), not a HandWrite model; HandWrite never loads pickled files"
        : s.Length >= 2 && s[0] == 0x80 && s[1] <= 5 ? "is a Python pickle, not a HandWrite model; HandWrite never loads pickled files"
        : "is not a HandWrite model file (.hwm)";

    static HandWriteException Invalid(string path, string why, HandWriteErrorKind kind = HandWriteErrorKind.InvalidData) =>
        new($"'{path}' {why}. Pass -ModelPath to a model written by Invoke-DigitTraining.", kind, target: path);
}
