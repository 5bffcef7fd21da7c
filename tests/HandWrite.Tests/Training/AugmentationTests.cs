using HandWrite.Core.Native;
using HandWrite.Core.Training;
using HandWrite.Tests.Core;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HandWrite.Tests.Training;

[Collection(TorchCollection.Name)]
public sealed class AugmentationTests
{
    public AugmentationTests() => TorchRuntime.EnsureInitialized();

    [Theory]
    [InlineData(16, 28, 28)]
    [InlineData(3, 5, 7)]
    [InlineData(2, 1, 4)]
    public void Extreme3x3_equals_libtorchs_3x3_max_pool_and_its_min_counterpart(int n, int h, int w)
    {
        using var scope = NewDisposeScope();
        var noise = TestNoise.Normal(n, 1, h, w);
        // Strokes: mostly 0 with ties, as MNIST images are.
        var strokes = noise.clamp_min(0.5).sub(0.5).mul(2).clamp_max(1);
        foreach (var x in new[] { noise, strokes })
        {
            Assert.True(TestTensors.Same(F.max_pool2d(x, 3, 1, 1), Augmentation.Extreme3x3(x, max: true)), "3x3 max differs from max_pool2d");
            Assert.True(TestTensors.Same(F.max_pool2d(x.neg(), 3, 1, 1).neg(), Augmentation.Extreme3x3(x, max: false)), "3x3 min differs from -max_pool2d(-x)");
        }
    }

    [Fact]
    public void Apply_keeps_shape_and_range_and_follows_its_generator()
    {
        using var scope = NewDisposeScope();
        var images = TestNoise.Normal(32, 1, 28, 28).clamp(0, 1);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var g3 = new Generator(6);
        var a = Augmentation.Apply(images, g1);
        var b = Augmentation.Apply(images, g2);
        var c = Augmentation.Apply(images, g3);
        Assert.Equal(images.shape, a.shape);
        Assert.Equal(ScalarType.Float32, a.dtype);
        Assert.True(a.min().item<float>() >= 0f && a.max().item<float>() <= 1f, "augmented pixels left 0..1");
        Assert.True(TestTensors.Same(a, b), "the same generator state must give the same batch");
        Assert.False(TestTensors.Same(a, c), "another seed must give another batch");
        Assert.False(TestTensors.Same(a, images), "augmentation changed nothing");
    }
}
