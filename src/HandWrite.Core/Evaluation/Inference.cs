using HandWrite.Core.Data;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace HandWrite.Core.Evaluation;

/// <summary>Runs the network over many 0..1 images in batches: the one forward path for validation, testing and prediction.</summary>
public static class Inference
{
    /// <summary>Images per forward pass: large enough for oneDNN's bf16 kernels to run at full speed, small
    /// enough that activations stay modest (docs/PERFORMANCE.md, section 4).</summary>
    public const int BatchSize = 256;

    /// <summary>bfloat16 where the CPU computes it natively (AVX-512 BF16 / AMX: several times fp32's speed), else float32.</summary>
    public static ScalarType ComputeType => CpuInfo.HasNativeBFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>
    /// An image whose two most likely digits are closer than this in bf16 is run again in fp32, so answers
    /// are fp32's: bf16 moves a probability by at most about 0.01 here (measured on the MNIST test and
    /// validation images with two models, at most 0.014), far inside this margin. Few images are close calls.
    /// </summary>
    internal const float RecheckMargin = 0.05f;

    /// <summary>
    /// Up to this many images run in float32 when the weights must be cast for each call (a model still
    /// training): at one or two images the casts cost more than bf16's kernels save (one image: fp32 1.2 ms,
    /// bf16 with its casts 1.7 ms here). An <see cref="InferenceModel"/> casts once and runs bf16 at any size.
    /// </summary>
    internal const int MaxFloat32Batch = 2;

    /// <summary>
    /// Up to this many images, a model with bf16 weights runs its dense layers in float32 on the fp32 weights:
    /// at one image libtorch's bf16 matrix-vector products are slower than fp32's (the three dense layers 0.29 ms
    /// in bf16, 0.20 in fp32; even at four images; bf16 wins from eight: docs/PERFORMANCE.md, section 18).
    /// </summary>
    internal const int MaxFloat32DenseBatch = 2;

    /// <summary>Logits [N,10] (float32) for images [N,1,28,28] in 0..1, casting the weights per call (a model
    /// whose weights still change, as in validation during training). Leaves the model in eval mode.</summary>
    public static Tensor Logits(HandWriteCnn model, Tensor images01, CancellationToken ct = default) =>
        Logits(model, images01, images01.shape[0] <= MaxFloat32Batch ? ScalarType.Float32 : ComputeType, BatchSize, ct);

    /// <summary>Logits [N,10] (float32) for images [N,1,28,28] in 0..1 from a trained model's cast-once weights.</summary>
    public static Tensor Logits(InferenceModel model, Tensor images01, CancellationToken ct = default) =>
        model.BFloat16 is { } bf16
            ? Logits(model.Float32, images01, ScalarType.BFloat16, BatchSize, ct, bf16)
            : Logits(model.Float32, images01, ScalarType.Float32, BatchSize, ct);

    /// <param name="computeModel">The network in <paramref name="compute"/>'s dtype, when it has such a copy;
    /// otherwise <paramref name="model"/>'s fp32 weights are cast for each batch.</param>
    internal static Tensor Logits(HandWriteCnn model, Tensor images01, ScalarType compute, int batchSize, CancellationToken ct = default,
        HandWriteCnn? computeModel = null)
    {
        model.eval();
        computeModel?.eval();
        using var _ = no_grad();
        long n = images01.shape[0];
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += batchSize)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var input = MnistDataset.Normalize(images01.narrow(0, start, Math.Min(batchSize, n - start)));
            var logits = computeModel is not null && compute != ScalarType.Float32 && input.shape[0] <= MaxFloat32DenseBatch
                ? model.Classifier(computeModel.Features(input.to(compute)).to(ScalarType.Float32))
                : (computeModel ?? model).forward(input.to(compute)).to(ScalarType.Float32);
            if (compute != ScalarType.Float32) logits = RecheckCloseCalls(model, input, logits);
            parts.Add(logits.MoveToOuterDisposeScope());
        }
        if (parts.Count == 0) return zeros(0, 10);
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Replaces the logits of close calls by a float32 forward of those images. The margins are computed
    /// here rather than by tensor ops: ten numbers an image, where six small ops cost about 0.08 ms a call.</summary>
    static Tensor RecheckCloseCalls(HandWriteCnn model, Tensor input, Tensor logits)
    {
        var values = logits.data<float>().ToArray(); // [N, 10], contiguous: made by .to(Float32) or index_copy
        var close = new List<long>();
        for (int i = 0; i < values.Length / 10; i++)
            if (TopTwoMargin(values.AsSpan(i * 10, 10)) < RecheckMargin) close.Add(i);
        if (close.Count == 0) return logits;
        var index = tensor(close.ToArray());
        return logits.index_copy(0, index, model.forward(input.index_select(0, index)));
    }

    /// <summary>Softmax probability of the most likely digit minus that of the second.</summary>
    internal static float TopTwoMargin(ReadOnlySpan<float> logits)
    {
        float max = float.NegativeInfinity;
        foreach (var l in logits) max = Math.Max(max, l);
        double sum = 0, first = 0, second = 0;
        foreach (var l in logits)
        {
            double e = Math.Exp(l - max);
            sum += e;
            if (e > first) (first, second) = (e, first);
            else if (e > second) second = e;
        }
        return (float)((first - second) / sum);
    }
}

/// <summary>
/// A trained network ready for inference: its fp32 weights and, where the CPU computes bf16 natively, a
/// bf16 copy made once. Casting at load instead of per call makes bf16 pay at any batch size, one image
/// included (docs/PERFORMANCE.md, section 9), and gives the same logits as casting per call.
/// </summary>
public sealed class InferenceModel : IDisposable
{
    public HandWriteCnn Float32 { get; }
    /// <summary>The bf16 copy (same layouts), or null where bf16 is not native.</summary>
    public HandWriteCnn? BFloat16 { get; }

    /// <summary>Takes ownership of <paramref name="model"/>.</summary>
    public InferenceModel(HandWriteCnn model)
    {
        Float32 = model;
        Float32.eval();
        if (Inference.ComputeType != ScalarType.BFloat16) return;
        var copy = new HandWriteCnn();
        using (no_grad())
        {
            var source = model.state_dict();
            foreach (var (name, parameter) in copy.named_parameters()) parameter.copy_(source[name]);
        }
        copy.to(ScalarType.BFloat16);
        copy.eval();
        BFloat16 = copy;
    }

    public void Dispose()
    {
        Float32.Dispose();
        BFloat16?.Dispose();
    }
}
