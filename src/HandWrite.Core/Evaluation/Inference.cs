using HandWrite.Core.Data;
using HandWrite.Core.Model;
using static TorchSharp.torch;

namespace HandWrite.Core.Evaluation;

/// <summary>Runs the network over many 0..1 images in batches: the one forward path for validation, testing and prediction.</summary>
public static class Inference
{
    /// <summary>Eval batch size: libtorch's CPU convolution slows sharply above a few hundred images per batch here.</summary>
    public const int BatchSize = 128;

    /// <summary>Logits [N,10] for images [N,1,28,28] in 0..1. Leaves the model in eval mode.</summary>
    public static Tensor Logits(HandWriteCnn model, Tensor images01, CancellationToken ct = default)
    {
        model.eval();
        using var _ = no_grad();
        long n = images01.shape[0];
        var parts = new List<Tensor>();
        for (long start = 0; start < n; start += BatchSize)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var batch = images01.narrow(0, start, Math.Min(BatchSize, n - start));
            parts.Add(model.forward(MnistDataset.Normalize(batch)).MoveToOuterDisposeScope());
        }
        if (parts.Count == 0) return zeros(0, 10);
        var all = cat(parts, 0);
        foreach (var p in parts) p.Dispose();
        return all;
    }
}
