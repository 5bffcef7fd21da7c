using System.Diagnostics;
using System.Globalization;
using System.Text;
using HandWrite.Core.Data;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Core.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HandWrite.Core.Benchmarks;

/// <summary>One way of running a training step, for side-by-side comparison.</summary>
public sealed record TrainingVariant(string Name, ScalarType Compute = ScalarType.BFloat16, int BatchSize = 128, bool Augment = true,
    bool NarrowBatches = false, bool ChannelsLast = false, bool BFloat16Weights = false, int? Threads = null);

/// <summary>One way of running inference over many images.</summary>
public sealed record EvaluationVariant(string Name, ScalarType Compute = ScalarType.Float32, int BatchSize = Inference.BatchSize, int? Threads = null, bool ChannelsLast = false);

/// <summary>A measured variant: images per second of every repeat and their median.</summary>
public sealed record ExperimentRow(string Name, double MedianImagesPerSecond, IReadOnlyList<double> Samples)
{
    public double GFlops(long flopsPerImage) => MedianImagesPerSecond * flopsPerImage / 1e9;
}

/// <summary>
/// The measurements behind docs/PERFORMANCE.md. Variants are run interleaved (every variant once per
/// round, for several rounds) so load from other processes on shared cores hits all of them alike; the
/// median round is reported.
/// </summary>
public static class PerformanceExperiments
{
    /// <summary>Training images per second of each variant on the first <paramref name="trainImages"/> MNIST training images.</summary>
    public static IReadOnlyList<ExperimentRow> Training(string? dataPath, IReadOnlyList<TrainingVariant> variants, int imagesPerMeasurement, int rounds,
        int trainImages = 8192, IProgress<string>? progress = null, CancellationToken ct = default)
    {
        TorchRuntime.EnsureInitialized();
        var folder = MnistSource.Locate(dataPath, null, ct);
        var (train, validation) = MnistDataset.LoadTraining(folder, 1, trainImages, seed: 1);
        using var _t = train; using var _v = validation;
        return Interleave(variants.Select(v => v.Name).ToList(), rounds, i =>
        {
            progress?.Report(variants[i].Name);
            return TrainingRate(variants[i], train, imagesPerMeasurement, ct);
        });
    }

    /// <summary>Inference images per second of each variant over <paramref name="images"/> MNIST test images, no_grad, eval mode.</summary>
    public static IReadOnlyList<ExperimentRow> Evaluation(string? dataPath, IReadOnlyList<EvaluationVariant> variants, int images, int rounds,
        IProgress<string>? progress = null, CancellationToken ct = default)
    {
        TorchRuntime.EnsureInitialized();
        var folder = MnistSource.Locate(dataPath, null, ct);
        using var test = MnistDataset.LoadTest(folder);
        using var head = test.Images.narrow(0, 0, Math.Min(images, test.Count));
        using var data = head.contiguous();
        using var model = HandWriteCnn.Create(1);
        using var channelsLast = HandWriteCnn.Create(1);
        SetConvolutionLayout(model, channelsLast: false);
        model.eval(); channelsLast.eval();
        return Interleave(variants.Select(v => v.Name).ToList(), rounds, i =>
        {
            var v = variants[i];
            progress?.Report(v.Name);
            return WithThreads(v.Threads, () => EvaluationRate(v.ChannelsLast ? channelsLast : model, data, v.Compute, v.BatchSize, ct));
        });
    }

    /// <summary>Milliseconds Augmentation.Apply takes on a batch of <paramref name="batchSize"/> images (median of <paramref name="repeats"/>).</summary>
    public static double AugmentationMilliseconds(string? dataPath, int batchSize, int repeats, CancellationToken ct = default)
    {
        TorchRuntime.EnsureInitialized();
        var (train, validation) = MnistDataset.LoadTraining(MnistSource.Locate(dataPath, null, ct), 1, batchSize, seed: 1);
        using var _t = train; using var _v = validation;
        Augmentation.Apply(train.Images).Dispose();
        return Timing.Median(Enumerable.Range(0, repeats).Select(_ => 1000 * Timing.Seconds(() => Augmentation.Apply(train.Images).Dispose())));
    }

    /// <summary>
    /// Milliseconds per training step spent casting the fp32 weights to bf16 and their gradients back
    /// (what HandWriteCnn's mixed-precision forward adds), measured on the parameters alone.
    /// </summary>
    public static double WeightCastMilliseconds(int repeats)
    {
        TorchRuntime.EnsureInitialized();
        using var model = new HandWriteCnn();
        var parameters = model.parameters().ToList();
        double Once()
        {
            using var scope = NewDisposeScope();
            return 1000 * Timing.Seconds(() =>
            {
                var sum = parameters.Select(p => p.to(ScalarType.BFloat16).sum()).Aggregate((a, b) => a + b);
                sum.backward();
            });
        }
        Once();
        var result = Timing.Median(Enumerable.Range(0, repeats).Select(_ => Once()));
        foreach (var p in parameters) p.grad?.zero_();
        return result;
    }

    /// <summary>Markdown table of rows, with GFLOP/s from <paramref name="flopsPerImage"/>.</summary>
    public static string Table(IReadOnlyList<ExperimentRow> rows, long flopsPerImage, string? baseline = null)
    {
        var b = rows.FirstOrDefault(r => r.Name == (baseline ?? rows[0].Name));
        var sb = new StringBuilder("| variant | images/s (median) | GFLOP/s | vs first | best | samples |\n|---|---:|---:|---:|---:|---|\n");
        foreach (var r in rows)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Name} | {r.MedianImagesPerSecond:F0} | {r.GFlops(flopsPerImage):F1} | {r.MedianImagesPerSecond / b!.MedianImagesPerSecond:F2}x | {r.Samples.Max():F0} | {string.Join(", ", r.Samples.Select(s => s.ToString("F0", CultureInfo.InvariantCulture)))} |"));
        return sb.ToString();
    }

    static IReadOnlyList<ExperimentRow> Interleave(IReadOnlyList<string> names, int rounds, Func<int, double> measure)
    {
        var samples = names.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            // Alternate direction each round so no variant always runs right after the same neighbour.
            var order = Enumerable.Range(0, names.Count);
            foreach (var i in round % 2 == 0 ? order : order.Reverse()) samples[i].Add(measure(i));
        }
        return names.Select((n, i) => new ExperimentRow(n, Timing.Median(samples[i]), samples[i])).ToList();
    }

    static T WithThreads<T>(int? threads, Func<T> run) => threads is null ? run() : TorchThreads.Run(threads.Value, run);

    /// <summary>The Trainer's step (same ops, loss and bookkeeping) with the variant's changes; a fresh model each time, two warm-up steps untimed.</summary>
    internal static double TrainingRate(TrainingVariant v, DigitTensors data, int images, CancellationToken ct) => WithThreads(v.Threads, () =>
    {
        using var model = HandWriteCnn.Create(1);
        using var random = new Generator(1);
        model.RandomSource = random;
        SetConvolutionLayout(model, v.ChannelsLast);
        if (v.BFloat16Weights) model.to(ScalarType.BFloat16);
        using var optimizer = new AdamOptimizer(model.parameters());
        model.train();
        using var order = randperm(data.Count, generator: random);
        using var shuffledImages = v.NarrowBatches ? data.Images.index_select(0, order) : null;
        using var shuffledLabels = v.NarrowBatches ? data.Labels.index_select(0, order) : null;
        int batches = Math.Max(1, (images + v.BatchSize - 1) / v.BatchSize);
        int perEpoch = data.Count / v.BatchSize;
        if (perEpoch < 1) throw new HandWriteException($"Need at least {v.BatchSize} training images for batch {v.BatchSize}.", HandWriteErrorKind.InvalidArgument);
        double correct = 0;
        void Step(int batch)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            long start = (long)(batch % perEpoch) * v.BatchSize;
            Tensor x, y;
            if (v.NarrowBatches) { x = shuffledImages!.narrow(0, start, v.BatchSize); y = shuffledLabels!.narrow(0, start, v.BatchSize); }
            else { var index = order.narrow(0, start, v.BatchSize); x = data.Images.index_select(0, index); y = data.Labels.index_select(0, index); }
            if (v.Augment) x = Augmentation.Apply(x);
            var logits = model.forward(MnistDataset.Normalize(x).to(v.Compute)).to(ScalarType.Float32);
            var loss = F.cross_entropy(logits, y, label_smoothing: 0.05);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step(1e-3);
            _ = loss.item<float>();
            correct += logits.argmax(1).eq(y).sum().item<long>();
        }
        Step(0); Step(1);
        var clock = Stopwatch.StartNew();
        for (int b = 0; b < batches; b++) Step(b + 2);
        return batches * v.BatchSize / clock.Elapsed.TotalSeconds;
    });

    /// <summary>
    /// The model's conv weights are channels-last (HandWriteCnn); the NCHW baseline gets plain contiguous copies.
    /// TorchSharp 0.107 has the memory_format enum but no tensor method that takes it, so layouts are set by strides.
    /// </summary>
    internal static void SetConvolutionLayout(HandWriteCnn model, bool channelsLast)
    {
        using var _ = no_grad();
        foreach (var (_, module) in model.named_modules())
            if (module is Conv2d conv)
            {
                using var weight = conv.weight!.detach();
                using var copy = channelsLast ? HandWriteCnn.ToChannelsLast(weight) : ContiguousCopy(weight);
                conv.weight = new Parameter(copy);
            }
    }

    /// <summary>An NCHW copy in its own storage (contiguous() alone returns the same tensor when it already is).</summary>
    static Tensor ContiguousCopy(Tensor t)
    {
        using var contiguous = t.contiguous();
        return contiguous.clone();
    }

    static double EvaluationRate(HandWriteCnn model, Tensor images01, ScalarType compute, int batchSize, CancellationToken ct)
    {
        using var noGrad = no_grad();
        long n = images01.shape[0];
        void Pass(long count)
        {
            for (long start = 0; start < count; start += batchSize)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var batch = images01.narrow(0, start, Math.Min(batchSize, count - start));
                model.forward(MnistDataset.Normalize(batch).to(compute));
            }
        }
        Pass(Math.Min(n, batchSize)); // warm-up: primitive creation for this shape
        return n / Timing.Seconds(() => Pass(n));
    }
}
