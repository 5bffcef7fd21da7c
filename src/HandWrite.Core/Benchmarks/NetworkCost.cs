using HandWrite.Core.Model;
using HandWrite.Core.Native;

namespace HandWrite.Core.Benchmarks;

/// <summary>
/// Floating-point work of the HandWrite CNN per image, counted as 2 x multiply-accumulates of its
/// convolutions and fully connected layers (bias, ReLU, pooling and dropout are a rounding error and left out).
/// Layer sizes are read from the network's own parameters, so the count follows the architecture.
/// </summary>
public static class NetworkCost
{
    /// <summary>Multiply-accumulates of one layer for one image.</summary>
    public sealed record LayerCost(string Name, long MultiplyAccumulates);

    /// <summary>Output side (pixels) of each convolution: two at 28x28, then 2x2 pooling, two at 14x14, then pooling to 7x7.</summary>
    static readonly IReadOnlyDictionary<string, int> ConvolutionOutputSide = new Dictionary<string, int>
    {
        ["conv1"] = 28, ["conv2"] = 28, ["conv3"] = 14, ["conv4"] = 14,
    };

    static readonly Lazy<IReadOnlyList<LayerCost>> Cached = new(Compute);

    /// <summary>Per-layer multiply-accumulates, input to output.</summary>
    public static IReadOnlyList<LayerCost> Layers => Cached.Value;

    /// <summary>One forward pass of one image (119,336,448 for HandWrite CNN v1).</summary>
    public static long ForwardFlopsPerImage => 2 * Layers.Sum(l => l.MultiplyAccumulates);

    /// <summary>
    /// One training image: the forward pass, the weight gradients (as much work as the forward pass) and
    /// the input gradients of every layer but the first (the images need no gradient): 357,557,760 for v1.
    /// </summary>
    public static long TrainingFlopsPerImage => 3 * ForwardFlopsPerImage - 2 * Layers[0].MultiplyAccumulates;

    static IReadOnlyList<LayerCost> Compute()
    {
        TorchRuntime.EnsureInitialized();
        using var model = new HandWriteCnn();
        var layers = new List<LayerCost>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!name.EndsWith(".weight", StringComparison.Ordinal)) continue;
            var layer = name[..^".weight".Length];
            var shape = parameter.shape;
            long macs = shape.Length switch
            {
                // [out, in, kh, kw]: every output pixel of every output channel sums in*kh*kw products.
                4 when ConvolutionOutputSide.TryGetValue(layer, out var side) => (long)side * side * shape[0] * shape[1] * shape[2] * shape[3],
                // [out, in]
                2 => shape[0] * shape[1],
                _ => throw new InvalidOperationException($"NetworkCost does not know layer '{layer}' of shape [{string.Join(",", shape)}]; update it with the architecture."),
            };
            layers.Add(new LayerCost(layer, macs));
        }
        return layers;
    }
}
