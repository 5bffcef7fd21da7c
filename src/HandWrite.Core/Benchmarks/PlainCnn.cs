using HandWrite.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HandWrite.Core.Benchmarks;

/// <summary>
/// The HandWrite CNN written as TorchSharp's MNIST example writes a network, for the benchmark's plain loop:
/// NCHW weights, each ReLU right after its conv, new tensors throughout. It leaves out exactly what
/// <see cref="HandWriteCnn"/> adds for speed (channels-last weights, ReLUs after the pools, in place), so the
/// benchmark's ratio counts those too. Same layers and parameter count; not used to train real models.
/// </summary>
internal sealed class PlainCnn : Module<Tensor, Tensor>
{
    readonly Conv2d conv1, conv2, conv3, conv4;
    readonly Linear fc1, fc2, fc3;
    readonly Generator dropoutRandom;

    /// <summary>The same initial weights as <c>HandWriteCnn.Create(seed)</c> (same draws, NCHW layout).</summary>
    public static PlainCnn Create(long seed) => HandWriteCnn.WithSeed(seed, () => new PlainCnn(seed));

    PlainCnn(long seed) : base(nameof(PlainCnn))
    {
        (conv1, conv2, conv3, conv4, fc1, fc2, fc3) = HandWriteCnn.NewLayers();
        // Dropout from a generator of its own: libtorch's global one is seeded by other work in the process.
        dropoutRandom = new Generator((ulong)seed);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(conv1.forward(input));
        x = functional.max_pool2d(functional.relu(conv2.forward(x)), 2);
        x = functional.relu(conv3.forward(x));
        x = functional.max_pool2d(functional.relu(conv4.forward(x)), 2);
        x = functional.relu(fc1.forward(x.flatten(1)));
        if (training) x = HandWriteCnn.Dropout(x, dropoutRandom);
        x = functional.relu(fc2.forward(x));
        return fc3.forward(x).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) dropoutRandom.Dispose();
        base.Dispose(disposing);
    }
}
