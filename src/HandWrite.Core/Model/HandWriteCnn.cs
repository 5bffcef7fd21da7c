using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace HandWrite.Core.Model;

/// <summary>
/// The HandWrite CNN: conv 1->32, conv 32->64, pool, conv 64->128, conv 128->128, pool (all 3x3,
/// padding 1, ReLU), fc 6272->256 ReLU, dropout 0.5, fc 256->128 ReLU, fc 128->10. 1,880,330
/// parameters. Returns logits; softmax is applied at inference by the caller.
/// </summary>
public sealed class HandWriteCnn : Module<Tensor, Tensor>
{
    public const string ArchitectureName = "HandWrite CNN v1";
    public const long ExpectedParameterCount = 1_880_330;

    readonly Conv2d conv1, conv2, conv3, conv4;
    readonly Linear fc1, fc2, fc3;
    const double DropoutRate = 0.5;

    /// <summary>
    /// Held while anything draws from or seeds libtorch's process-wide generator: every construction (the
    /// layers' initial weights come from it) and <see cref="Create"/>. So a seeded model gets the same weights
    /// whatever else the process (other runspaces, tests, the benchmark) does at the same moment.
    /// </summary>
    private static readonly object GlobalRandomLock = new();

    /// <summary>A freshly initialised network whose weights depend only on <paramref name="seed"/>.</summary>
    public static HandWriteCnn Create(long seed) => WithSeed(seed, () => new HandWriteCnn());

    /// <summary>Builds a network under the lock, right after seeding libtorch's global generator with <paramref name="seed"/>.</summary>
    internal static T WithSeed<T>(long seed, Func<T> build)
    {
        lock (GlobalRandomLock)
        {
            manual_seed(seed);
            return build();
        }
    }

    /// <summary>A freshly initialised network drawing from libtorch's global generator (unseeded: see <see cref="Create"/>).</summary>
    public HandWriteCnn() : base(nameof(HandWriteCnn))
    {
        (conv1, conv2, conv3, conv4, fc1, fc2, fc3) = NewLayers();
        RegisterComponents();
        // Channels-last conv weights make oneDNN choose its NHWC kernels and skip the layout
        // conversions around every convolution: about 1.3x faster training, up to 2.5x bf16 inference
        // here (docs/PERFORMANCE.md). Values, order and the file format are unchanged.
        // Every intermediate tensor is held by a using until the native call that reads it has returned:
        // a temporary reachable only through its handle can be finalized (freed) by the GC in the middle of
        // that call, which crashed test runs in libtorch (a reference-count update on a freed tensor).
        using var _ = no_grad();
        foreach (var conv in new[] { conv1, conv2, conv3, conv4 })
        {
            using var nchw = conv.weight!.detach();
            using var channelsLast = ToChannelsLast(nchw);
            conv.weight = new Parameter(channelsLast);
        }
    }

    /// <summary>The layers, freshly initialised from libtorch's global generator (under the lock), in NCHW layout.</summary>
    internal static (Conv2d, Conv2d, Conv2d, Conv2d, Linear, Linear, Linear) NewLayers()
    {
        lock (GlobalRandomLock)
            return (Conv2d(1, 32, 3, padding: 1), Conv2d(32, 64, 3, padding: 1), Conv2d(64, 128, 3, padding: 1), Conv2d(128, 128, 3, padding: 1),
                Linear(128 * 7 * 7, 256), Linear(256, 128), Linear(128, 10));
    }

    /// <summary>A copy of [N,C,H,W] with NHWC strides, in its own storage (not a view: Adam updates it in place).</summary>
    internal static Tensor ToChannelsLast(Tensor nchw)
    {
        var s = nchw.shape;
        var result = empty_strided(s, [s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]], nchw.dtype);
        using var _ = no_grad();
        result.copy_(nchw);
        GC.KeepAlive(nchw); // a caller's temporary must outlive the copy that reads it
        return result;
    }

    /// <param name="input">[N, 1, 28, 28], normalised as in training. Its dtype is the compute dtype:
    /// bfloat16 input runs the network in bfloat16 on fp32 weights cast on the fly (mixed precision,
    /// as autocast does; gradients still reach the fp32 weights through the casts).</param>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return Classifier(Features(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The convolutional part: [N, 1, 28, 28] to the flattened [N, 6272] features, in the input's dtype.</summary>
    internal Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        // Each pool comes before the ReLU of the conv it follows: max and ReLU commute (ReLU is monotonic), so
        // values and gradients are the same, and the ReLU touches a quarter of the elements.
        var x = Conv(conv1, input).relu_();
        x = functional.max_pool2d(Conv(conv2, x), 2).relu_();
        x = Conv(conv3, x).relu_();
        x = functional.max_pool2d(Conv(conv4, x), 2).relu_();
        return x.flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>The dense part: features [N, 6272] to logits [N, 10], in the features' dtype.</summary>
    internal Tensor Classifier(Tensor features)
    {
        using var scope = NewDisposeScope();
        var x = Dropout(Dense(fc1, features).relu_());
        x = Dense(fc2, x).relu_();
        return Dense(fc3, x).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Where dropout draws its masks during training. Training sets a generator of its own so that runs in
    /// parallel (several runspaces, or tests) never share libtorch's global random state; null uses the global one.
    /// </summary>
    public Generator? RandomSource { get; set; }

    // Rooted Scalars: see MnistDataset's note on TorchSharp's Scalar.
    static readonly TorchSharp.Scalar DropScalar = DropoutRate, KeepScalar = 1 - DropoutRate;

    Tensor Dropout(Tensor x) => training ? Dropout(x, RandomSource) : x;

    /// <summary>Inverted dropout at the network's rate, masks drawn from <paramref name="random"/> (also the benchmark's plain network's).</summary>
    internal static Tensor Dropout(Tensor x, Generator? random)
    {
        var keep = rand(x.shape, x.dtype, x.device, generator: random).ge_(DropScalar);
        return x.mul(keep).div_(KeepScalar);
    }

    static Tensor Cast(Tensor weight, Tensor like) => weight.dtype == like.dtype ? weight : weight.to(like.dtype);

    /// <summary>The convolution alone; its ReLU is applied in place by <see cref="forward"/>.</summary>
    static Tensor Conv(Conv2d conv, Tensor x) => functional.conv2d(x, Cast(conv.weight!, x), Cast(conv.bias!, x), padding: [1, 1]);

    static Tensor Dense(Linear linear, Tensor x) => functional.linear(x, Cast(linear.weight!, x), Cast(linear.bias!, x));
}
