using HandWrite.Core.Data;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

/// <summary>Inference computes in bf16 where the CPU has it and re-runs close calls in fp32: the answers must
/// be fp32's, and bf16 must stay well inside the re-check margin that guarantees it.</summary>
[Collection(TrainedModelCollection.Name)]
public sealed class InferencePrecisionTests(TrainedModelFixture trained)
{
    [Fact]
    public void DefaultInferenceGivesTheFloat32AnswersOnTheMnistTestSet()
    {
        var (model, _) = ModelFile.Load(trained.ModelPath);
        using var test = MnistDataset.LoadTest(TestEnvironment.MnistFolder);
        using var scope = NewDisposeScope();
        var images = test.Images.narrow(0, 0, 4000);

        var exact = Inference.Logits(model, images, ScalarType.Float32, Inference.BatchSize);
        var fast = Inference.Logits(model, images);
        Assert.Equal(exact.shape, fast.shape);
        Assert.Equal(0L, fast.argmax(1).ne(exact.argmax(1)).sum().item<long>());
        float largest = fast.softmax(1).sub(exact.softmax(1)).abs().max().item<float>();
        Assert.True(largest < Inference.RecheckMargin / 2, $"probabilities moved by {largest:0.0000}");

        if (!CpuInfo.HasNativeBFloat16) return;
        Assert.Equal(ScalarType.BFloat16, Inference.ComputeType);
        // Without the re-check, bf16 alone moves probabilities by the same small amount: the margin is what makes it exact.
        var bf16Only = model.forward(MnistDataset.Normalize(images.narrow(0, 0, 256)).to(ScalarType.BFloat16)).to(ScalarType.Float32);
        float drift = bf16Only.softmax(1).sub(exact.narrow(0, 0, 256).softmax(1)).abs().max().item<float>();
        Assert.InRange(drift, 1e-6f, Inference.RecheckMargin / 2);
    }

    [Fact]
    public void CloseCallsAreRecomputedInFloat32()
    {
        if (!CpuInfo.HasNativeBFloat16) return;
        var (model, _) = ModelFile.Load(trained.ModelPath);
        using var scope = NewDisposeScope();
        // Blends of two digits are the close calls: their two best classes are near each other.
        using var test = MnistDataset.LoadTest(TestEnvironment.MnistFolder);
        var a = test.Images.narrow(0, 0, 200);
        var b = test.Images.narrow(0, 200, 200);
        var blends = cat([a, a.mul(0.5).add(b.mul(0.5)), b], 0);

        var exact = Inference.Logits(model, blends, ScalarType.Float32, Inference.BatchSize).softmax(1);
        var fast = Inference.Logits(model, blends).softmax(1);
        var top2 = exact.topk(2, 1).values;
        var close = top2.select(1, 0).sub(top2.select(1, 1)).lt(Inference.RecheckMargin / 2).nonzero().squeeze(1);
        Assert.True(close.shape[0] > 0, "the blends produced no close calls, so this test could not fail");
        // Close calls carry exactly fp32's probabilities.
        Assert.True(fast.index_select(0, close).allclose(exact.index_select(0, close), rtol: 0, atol: 1e-5));
    }

    [Fact]
    public void OneOrTwoImagesRunInFloat32WhenWeightsAreCastPerCall()
    {
        var (model, _) = ModelFile.Load(trained.ModelPath);
        using var test = MnistDataset.LoadTest(TestEnvironment.MnistFolder);
        using var scope = NewDisposeScope();
        for (int count = 1; count <= Inference.MaxFloat32Batch; count++)
        {
            var images = test.Images.narrow(0, 0, count);
            var exact = Inference.Logits(model, images, ScalarType.Float32, Inference.BatchSize);
            Assert.True(Inference.Logits(model, images).eq(exact).all().item<bool>(), $"{count} image(s): not fp32's logits");
        }
        if (!CpuInfo.HasNativeBFloat16) return;
        // Above that the bf16 path runs, whose logits differ slightly: the check above can tell the two apart.
        var three = test.Images.narrow(0, 0, Inference.MaxFloat32Batch + 1);
        Assert.False(Inference.Logits(model, three).eq(Inference.Logits(model, three, ScalarType.Float32, Inference.BatchSize)).all().item<bool>());
    }

    [Fact]
    public void CastOnceWeightsGiveTheLogitsOfCastingPerCall()
    {
        using var model = new InferenceModel(ModelFile.Load(trained.ModelPath).Model);
        using var test = MnistDataset.LoadTest(TestEnvironment.MnistFolder);
        using var scope = NewDisposeScope();
        var images = test.Images.narrow(0, 0, 600);
        Assert.Equal(CpuInfo.HasNativeBFloat16, model.BFloat16 is not null);
        var perCall = Inference.Logits(model.Float32, images, Inference.ComputeType, Inference.BatchSize);
        Assert.True(Inference.Logits(model, images).eq(perCall).all().item<bool>());
    }

    [Fact]
    public void SingleImagesRunOnTheCastOnceWeightsWithFloat32Answers()
    {
        using var model = new InferenceModel(ModelFile.Load(trained.ModelPath).Model);
        using var test = MnistDataset.LoadTest(TestEnvironment.MnistFolder);
        int differing = 0;
        for (int i = 0; i < 300; i++)
        {
            using var scope = NewDisposeScope();
            var image = test.Images.narrow(0, i, 1);
            var exact = Inference.Logits(model.Float32, image, ScalarType.Float32, 1);
            var fast = Inference.Logits(model, image);
            Assert.Equal(exact.argmax(1).item<long>(), fast.argmax(1).item<long>());
            float moved = fast.softmax(1).sub(exact.softmax(1)).abs().max().item<float>();
            Assert.True(moved < Inference.RecheckMargin / 2, $"image {i}: probabilities moved by {moved:0.0000}");
            if (!fast.eq(exact).all().item<bool>()) differing++;
        }
        // Where bf16 is native, one image runs in bf16 (its logits differ from fp32's); elsewhere in fp32.
        if (CpuInfo.HasNativeBFloat16) Assert.True(differing > 0, "no image ran in bf16");
        else Assert.Equal(0, differing);
    }

    [Fact]
    public void OneOrTwoImagesOnCastOnceWeightsRunTheDenseLayersInFloat32()
    {
        if (!CpuInfo.HasNativeBFloat16) return;
        using var model = new InferenceModel(ModelFile.Load(trained.ModelPath).Model);
        using var test = MnistDataset.LoadTest(TestEnvironment.MnistFolder);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int count = 1; count <= Inference.MaxFloat32DenseBatch + 1; count++)
        {
            var images = test.Images.narrow(0, 0, count);
            var features = model.BFloat16!.Features(MnistDataset.Normalize(images).to(ScalarType.BFloat16));
            var denseInFloat32 = model.Float32.Classifier(features.to(ScalarType.Float32));
            var allBFloat16 = model.BFloat16.Classifier(features).to(ScalarType.Float32);
            Assert.False(denseInFloat32.eq(allBFloat16).all().item<bool>(), "the two paths agree, so this test could not tell them apart");
            var actual = Inference.Logits(model, images);
            var values = actual.data<float>().ToArray();
            for (int i = 0; i < count; i++)
                Assert.True(Inference.TopTwoMargin(values.AsSpan(i * 10, 10)) > Inference.RecheckMargin, "a close call would be re-run in fp32");
            var expected = count <= Inference.MaxFloat32DenseBatch ? denseInFloat32 : allBFloat16;
            Assert.True(actual.eq(expected).all().item<bool>(), $"{count} image(s): not the expected path's logits");
        }
    }

    [Fact]
    public void TopTwoMarginEqualsSoftmaxTopTwoDifference()
    {
        using var scope = NewDisposeScope();
        var logits = cat([TestNoise.Normal(500, 10).mul(4), zeros(1, 10), full([1, 10], 80f), tensor(new float[] { 3, 3, 1, 0, 0, 0, 0, 0, 0, 0 }).view(1, 10)], 0);
        var top2 = logits.softmax(1).topk(2, 1).values;
        var expected = top2.select(1, 0).sub(top2.select(1, 1)).data<float>().ToArray();
        var values = logits.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - Inference.TopTwoMargin(values.AsSpan(i * 10, 10))) < 1e-6, $"row {i}");
        Assert.Equal(0f, Inference.TopTwoMargin(values.AsSpan(500 * 10, 10))); // all equal: a tie
    }
}
