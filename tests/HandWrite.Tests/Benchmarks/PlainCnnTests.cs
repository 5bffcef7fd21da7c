using HandWrite.Core.Benchmarks;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Tests.Core;
using static TorchSharp.torch;

namespace HandWrite.Tests.Benchmarks;

/// <summary>The benchmark's plain network: the same network as HandWriteCnn, laid out as TorchSharp's example would.</summary>
[Collection(TorchCollection.Name)]
public sealed class PlainCnnTests
{
    public PlainCnnTests() => TorchRuntime.EnsureInitialized();

    [Fact]
    public void Same_parameters_and_initial_weights_as_HandWriteCnn_with_NCHW_conv_weights()
    {
        using var plain = PlainCnn.Create(4);
        using var model = HandWriteCnn.Create(4);
        var ours = model.named_parameters().ToList();
        var theirs = plain.named_parameters().ToList();
        Assert.Equal(ours.Select(p => p.name), theirs.Select(p => p.name));
        Assert.Equal(HandWriteCnn.ExpectedParameterCount, theirs.Sum(p => p.parameter.numel()));
        using var scope = NewDisposeScope(); // holds temporaries until the native calls reading them return
        foreach (var ((name, a), (_, b)) in ours.Zip(theirs))
            Assert.True(TestTensors.Same(a, b), $"{name} starts from other values");
        foreach (var (name, p) in theirs.Where(p => p.name.EndsWith(".weight") && p.parameter.dim() == 4))
            Assert.True(p.is_contiguous(), $"{name} is not NCHW-contiguous"); // plain layout: no channels-last
    }

    [Fact]
    public void Computes_the_same_function_as_HandWriteCnn()
    {
        using var plain = PlainCnn.Create(5);
        using var model = HandWriteCnn.Create(5);
        plain.eval();
        model.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var x = TestNoise.Normal(16, 1, 28, 28);
        var expected = model.forward(x);
        var actual = plain.forward(x);
        Assert.True(actual.allclose(expected, rtol: 1e-4, atol: 1e-5), "the plain network computes something else");

        plain.train();
        Assert.False(plain.forward(x).allclose(plain.forward(x)), "train mode must apply dropout");
    }
}
