using HandWrite.Core.Model;
using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

[Collection(TorchCollection.Name)]
public sealed class HandWriteCnnTests
{
    public HandWriteCnnTests() => TorchRuntime.EnsureInitialized();

    static HandWriteCnn NewModel(long seed) => HandWriteCnn.Create(seed);

    [Fact]
    public async Task Seeded_construction_gives_the_same_weights_while_other_threads_build_and_seed_models()
    {
        string expected;
        using (var reference = NewModel(21)) expected = ModelFile.WeightsSha256(reference);
        using var stop = new CancellationTokenSource();
        var noise = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            for (long i = 0; !stop.IsCancellationRequested; i++)
            {
                using var unseeded = new HandWriteCnn();
                using var other = HandWriteCnn.Create(100 + i);
            }
        })).ToArray();
        try
        {
            for (int i = 0; i < 8; i++)
            {
                using var model = NewModel(21);
                Assert.Equal(expected, ModelFile.WeightsSha256(model));
            }
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(noise);
        }
    }

    [Fact]
    public void Output_is_N_by_10_logits_for_any_batch_size()
    {
        using var model = NewModel(1);
        model.eval();
        using var _ = no_grad();
        foreach (var n in new[] { 1, 3, 64 })
        {
            using var scope = NewDisposeScope(); // holds temporaries until the native calls reading them return
            using var x = TestNoise.Normal(n, 1, 28, 28);
            using var y = model.forward(x);
            Assert.Equal(new long[] { n, 10 }, y.shape);
            Assert.Equal(ScalarType.Float32, y.dtype);
            Assert.True(y.isfinite().all().item<bool>());
            // Inference runs the two halves separately for one or two images: together they are the forward.
            var features = model.Features(x);
            Assert.Equal(new long[] { n, 128 * 7 * 7 }, features.shape);
            Assert.True(model.Classifier(features).eq(y).all().item<bool>());
        }
    }

    [Fact]
    public void Has_exactly_1880330_parameters_in_the_documented_layers()
    {
        using var model = NewModel(1);
        var parameters = model.named_parameters().ToList();
        Assert.Equal(1_880_330L, parameters.Sum(p => p.parameter.numel()));
        Assert.Equal(HandWriteCnn.ExpectedParameterCount, parameters.Sum(p => p.parameter.numel()));
        Assert.Equal(new[] { "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "conv3.weight", "conv3.bias", "conv4.weight", "conv4.bias",
            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias" }, parameters.Select(p => p.name));
        Assert.Equal(new long[] { 256, 6272 }, parameters.Single(p => p.name == "fc1.weight").parameter.shape);
    }

    /// <summary>The network as the design card lists it (every ReLU right after its conv, then the pools), from the model's own weights.</summary>
    static Tensor ReferenceForward(HandWriteCnn model, Tensor input)
    {
        var p = model.named_parameters().ToDictionary(n => n.name, n => n.parameter);
        Tensor W(string name) => p[name].to(input.dtype);
        Tensor Conv(Tensor x, string layer) => nn.functional.relu(nn.functional.conv2d(x, W(layer + ".weight"), W(layer + ".bias"), padding: [1, 1]));
        var x = nn.functional.max_pool2d(Conv(Conv(input, "conv1"), "conv2"), 2);
        x = nn.functional.max_pool2d(Conv(Conv(x, "conv3"), "conv4"), 2).flatten(1);
        x = nn.functional.relu(nn.functional.linear(x, W("fc1.weight"), W("fc1.bias")));
        x = nn.functional.relu(nn.functional.linear(x, W("fc2.weight"), W("fc2.bias")));
        return nn.functional.linear(x, W("fc3.weight"), W("fc3.bias"));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void Forward_equals_the_listed_layer_order_in_values_and_gradients(ScalarType dtype)
    {
        // The model applies each ReLU after the pool that follows it (fewer elements); values and gradients must
        // be exactly those of conv -> ReLU -> pool.
        using var model = NewModel(8);
        model.eval(); // no dropout, so both passes are deterministic
        using var scope = NewDisposeScope(); // holds temporaries until the native calls reading them return
        var x = TestNoise.Normal(24, 1, 28, 28).to(dtype);
        var parameters = model.parameters().ToList();

        var actual = model.forward(x);
        actual.to(ScalarType.Float32).square().sum().backward();
        var actualGrads = parameters.Select(q => q.grad!.clone()).ToList();
        foreach (var q in parameters) q.grad!.zero_();

        var expected = ReferenceForward(model, x);
        expected.to(ScalarType.Float32).square().sum().backward();

        Assert.True(TestTensors.Same(actual, expected), "logits differ from the listed layer order");
        for (int i = 0; i < parameters.Count; i++)
        {
            Assert.True(parameters[i].grad!.abs().sum().item<float>() > 0, $"parameter {i} got no gradient");
            Assert.True(TestTensors.Same(actualGrads[i], parameters[i].grad!), $"gradient of parameter {i} differs from the listed layer order");
        }
    }

    [Fact]
    public void Dropout_acts_only_in_train_mode()
    {
        using var model = NewModel(3);
        using var _ = no_grad();
        using var x = TestNoise.Normal(16, 1, 28, 28);
        model.eval();
        using var e1 = model.forward(x);
        using var e2 = model.forward(x);
        Assert.True(TestTensors.Same(e1, e2), "eval forward must be deterministic");

        model.train();
        using var t1 = model.forward(x);
        using var t2 = model.forward(x);
        Assert.False(TestTensors.Same(t1, t2), "train forward must apply dropout (two passes differ)");
        Assert.False(t1.allclose(e1), "train forward must differ from eval forward");

        model.eval();
        using var e3 = model.forward(x);
        Assert.True(TestTensors.Same(e3, e1), "back in eval mode the output is the eval output again");
    }

    [Fact]
    public void Bfloat16_input_runs_in_bfloat16_and_stays_close_to_fp32()
    {
        using var model = NewModel(5);
        model.eval();
        using var _ = no_grad();
        using var x = TestNoise.Normal(32, 1, 28, 28);
        using var fp32 = model.forward(x);
        using var xb = x.to(ScalarType.BFloat16);
        using var bf16 = model.forward(xb);
        Assert.Equal(ScalarType.BFloat16, bf16.dtype);
        Assert.Equal(ScalarType.Float32, model.named_parameters().First().parameter.dtype); // weights stay fp32
        using var back = bf16.to(ScalarType.Float32);
        using var scope = NewDisposeScope(); // holds temporaries until the native calls reading them return
        float scale = fp32.abs().max().item<float>();
        float diff = (back - fp32).abs().max().item<float>();
        Assert.True(diff <= 0.05f * scale + 1e-3f, $"bf16 logits differ from fp32 by {diff} (largest logit {scale})");
        Assert.True(diff > 0, "bf16 compute should not be bit-identical to fp32 (is it really running in bf16?)");
    }

    [Fact]
    public void Bfloat16_forward_reaches_fp32_weights_with_gradients()
    {
        using var model = NewModel(6);
        model.train();
        using var scope = NewDisposeScope(); // holds temporaries until the native calls reading them return
        using var x = TestNoise.Normal(8, 1, 28, 28).to(ScalarType.BFloat16);
        using var loss = model.forward(x).to(ScalarType.Float32).sum();
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.NotNull(p.grad);
            Assert.Equal(ScalarType.Float32, p.grad!.dtype);
            Assert.True(p.grad.abs().sum().item<float>() > 0, $"{name} got no gradient");
        }
    }
}
