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
    static readonly TorchSharp.Scalar RecheckMarginScalar = RecheckMargin; // rooted: see MnistDataset's note on TorchSharp's Scalar

    /// <summary>
    /// Up to this many images run in float32 when the weights must be cast for each call (a model still
    /// training): at one or two images the casts cost more than bf16's kernels save (one image: fp32 1.2 ms,
    /// bf16 with its casts 1.7 ms here). An <see cref="InferenceModel"/> casts once and runs bf16 at any size.
    /// </summary>
    internal const int MaxFloat32Batch = 2;

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
            var logits = (computeModel ?? model).forward(input.to(compute)).to(ScalarType.Float32);
            if (compute != ScalarType.Float32) logits = RecheckCloseCalls(model, input, logits);
            parts.Add(logits.MoveToOuterDisposeScope());
        }
        if (parts.Count == 0) return zeros(0, 10);
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }

    /// <summary>Replaces the logits of close calls by a float32 forward of those images.</summary>
    static Tensor RecheckCloseCalls(HandWriteCnn model, Tensor input, Tensor logits)
    {
        var top2 = logits.softmax(1).topk(2, 1).values;
        var close = top2.select(1, 0).sub(top2.select(1, 1)).lt(RecheckMarginScalar).nonzero().squeeze(1);
        if (close.shape[0] == 0) return logits;
        return logits.index_copy(0, close, model.forward(input.index_select(0, close)));
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
