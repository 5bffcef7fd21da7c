using HandWrite.Core;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Core.Prediction;
using static TorchSharp.torch;

namespace HandWrite.Tests.Core;

[Collection(TorchCollection.Name)]
public sealed class DigitPredictorTests : IDisposable
{
    readonly TempFolder _temp = new();
    public DigitPredictorTests() => TorchRuntime.EnsureInitialized();
    public void Dispose() => _temp.Dispose();

    static readonly ModelMetadata Meta = new(HandWriteCnn.ArchitectureName, 1, 1, 0.5, DateTimeOffset.UnixEpoch, "Seed");

    string SaveModel(string name, long seed)
    {
        using var m = HandWriteCnn.Create(seed);
        var path = _temp[name];
        ModelFile.Save(m, Meta, path);
        return path;
    }

    static List<float[]> Inputs(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 784).Select(_ => random.NextSingle()).ToArray()).ToList();
    }

    [Fact]
    public void Eight_threads_at_once_get_exactly_the_single_threaded_probabilities()
    {
        var path = SaveModel("shared.hwm", 1);
        var inputs = Inputs(40, 1);
        var expected = DigitPredictor.For(path).Probabilities(inputs);
        Assert.All(expected, p => Assert.Equal(1.0, p.Sum(), 3));

        using var start = new Barrier(8);
        var results = new float[8][][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (int round = 0; round < 3; round++) results[t] = DigitPredictor.For(path).Probabilities(inputs);
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        for (int t = 0; t < 8; t++)
            for (int i = 0; i < inputs.Count; i++)
                Assert.Equal(expected[i], results[t][i]);
    }

    [Fact]
    public void For_caches_per_file_and_reloads_a_rewritten_file()
    {
        var path = SaveModel("cached.hwm", 2);
        var first = DigitPredictor.For(path);
        Assert.Same(first, DigitPredictor.For(path));
        Assert.Same(first, DigitPredictor.For(Path.Combine(_temp.Path, ".", "cached.hwm"))); // same file, other spelling

        var before = first.Probabilities(Inputs(4, 2));
        SaveModel("cached.hwm", 3); // retrained: other weights at the same path
        var second = DigitPredictor.For(path);
        Assert.NotSame(first, second);
        Assert.NotEqual(first.Info.WeightsSha256, second.Info.WeightsSha256);
        Assert.NotEqual(before[0], second.Probabilities(Inputs(4, 2))[0]);
        Assert.Same(second, DigitPredictor.For(path));
    }

    [Fact]
    public void An_ensemble_averages_its_models_probabilities_and_shares_their_cached_predictors()
    {
        var a = SaveModel("a.hwm", 4);
        var b = SaveModel("b.hwm", 5);
        var inputs = Inputs(6, 3);
        var pa = DigitPredictor.For(a).Probabilities(inputs);
        var pb = DigitPredictor.For(b).Probabilities(inputs);
        var ensemble = DigitPredictor.For([a, b]).Probabilities(inputs);
        for (int i = 0; i < inputs.Count; i++)
        {
            Assert.NotEqual(pa[i], pb[i]);
            Assert.Equal(Enumerable.Range(0, 10).Select(c => 0f + pa[i][c] / 2 + pb[i][c] / 2), ensemble[i]);
        }
        Assert.Same(DigitPredictor.For(a), DigitPredictor.For([a]));
        var missing = _temp["missing.hwm"];
        var ex = Assert.Throws<HandWriteException>(() => DigitPredictor.For([a, missing]));
        Assert.Equal(HandWriteErrorKind.NotFound, ex.Kind);
        Assert.Equal(missing, ex.Target);
    }
}
