using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using HandWrite.Core.Data;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Imaging;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using HandWrite.Core.Prediction;
using HandWrite.Core.Training;
using SkiaSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HandWrite.Core.Benchmarks;

/// <summary>
/// Measures how fast this machine trains and runs the HandWrite CNN, next to the ceiling (a large matmul)
/// and the plain TorchSharp training loop, so the figures say how much of the hardware HandWrite uses.
/// </summary>
public static class ModelBenchmark
{
    /// <summary>Batch size of the plain TorchSharp loop (TorchSharp's MNIST example uses 64).</summary>
    public const int NaiveBatchSize = 64;

    public static BenchmarkResult Run(BenchmarkOptions options, IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Threads is { } threads
            ? TorchThreads.Run(Positive(threads, "Threads"), () => RunHere(options, progress, ct))
            : RunHere(options, progress, ct);
    }

    static BenchmarkResult RunHere(BenchmarkOptions options, IProgress<string>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        TorchRuntime.EnsureInitialized();
        bool quick = options.Quick;
        int trainImages = Positive(options.TrainImages ?? (quick ? 384 : 3072), "TrainImages");
        int evalImages = Positive(options.EvalImages ?? (quick ? 1000 : 10000), "EvalImages");
        int predictions = Positive(options.Predictions ?? (quick ? 20 : 200), "Predictions");
        int repeats = Positive(options.Repeats ?? (quick ? 1 : 3), "Repeats");
        int matmulSize = Positive(options.MatmulSize ?? (quick ? 1024 : 2048), "MatmulSize");
        var notes = new List<string>();

        var temp = Directory.CreateTempSubdirectory("handwrite-bench-");
        try
        {
            progress?.Report($"Matmul {matmulSize}x{matmulSize}, fp32 and bf16");
            var (mmFloat, mmBFloat) = MatmulGFlops(matmulSize, repeats, ct);
            if (!CpuInfo.HasNativeBFloat16) notes.Add("This CPU has no native bfloat16 (AVX-512 BF16 / AMX): bf16 figures are emulated and slow.");

            var folder = MnistSource.Locate(options.DataPath, null, ct);
            var defaults = new TrainingOptions();
            var naive = new List<double>();
            var ours = new List<double>();
            using (var source = LoadTrainingArrays(folder, trainImages))
            {
                using var naiveModel = PlainCnn.Create(1);
                using var naiveOptimizer = optim.Adam(naiveModel.parameters(), 1e-3);
                NaiveTrain(naiveModel, naiveOptimizer, source, Math.Min(trainImages, 2 * NaiveBatchSize), ct); // warm-up
                // Interleaved, so a neighbour's load on the shared cores hits both alike.
                for (int r = 0; r < repeats; r++)
                {
                    progress?.Report($"Training, plain TorchSharp loop ({r + 1}/{repeats})");
                    naive.Add(NaiveTrain(naiveModel, naiveOptimizer, source, trainImages, ct));
                    progress?.Report($"Training, HandWrite Trainer defaults ({r + 1}/{repeats})");
                    ours.Add(TrainerImagesPerSecond(folder, trainImages, temp.FullName, ct));
                }
            }
            double naiveRate = Timing.Median(naive), ourRate = Timing.Median(ours);
            var trainSetting = $"Trainer defaults: {defaults.EffectivePrecision}, batch {defaults.BatchSize}, {defaults.Preset} preset " +
                $"(augmentation {(defaults.Augment ? "on" : "off")}), tensor-resident data, index_select batches";

            var modelPath = options.ModelPath ?? WriteFreshModel(temp.FullName);
            progress?.Report($"Evaluation over {evalImages} test images");
            var (testImages, firstTest) = LoadTestImages(folder, evalImages);
            double evalRate;
            using (testImages)
            {
                // As Test-DigitModel runs it: the cached predictor (weights cast to bf16 once), softmax included.
                var predictor = DigitPredictor.For(modelPath);
                using (var warmImages = testImages.narrow(0, 0, Math.Min(256, evalImages)))
                    predictor.Probabilities(warmImages, ct);
                var rates = new List<double>();
                for (int r = 0; r < repeats; r++)
                    rates.Add(evalImages / Timing.Seconds(() => predictor.Probabilities(testImages, ct)));
                evalRate = Timing.Median(rates);
            }

            progress?.Report($"Prediction latency, {predictions} single images");
            var samplePng = options.SamplePng ?? WriteSamplePng(firstTest, temp.FullName);
            var latency = PredictionLatency(modelPath, samplePng, predictions, ct);

            progress?.Report("Cold start");
            double coldStart = ColdStart(options.Pwsh, options.ModuleManifest, options.Threads, modelPath, samplePng, notes, ct);

            long trainFlops = NetworkCost.TrainingFlopsPerImage, forwardFlops = NetworkCost.ForwardFlopsPerImage;
            return new BenchmarkResult
            {
                ModelPath = options.ModelPath is null ? null : Path.GetFullPath(options.ModelPath),
                Cpu = CpuInfo.Model,
                CpuFlags = CpuInfo.Summary,
                Threads = get_num_threads(),
                TorchSharpVersion = TorchSharpVersion,
                LibTorchVersion = __version__,
                MatmulFloat32GFlops = mmFloat,
                MatmulBFloat16GFlops = mmBFloat,
                MatmulSize = matmulSize,
                NaiveTrainImagesPerSecond = naiveRate,
                NaiveTrainGFlops = naiveRate * trainFlops / 1e9,
                TrainImagesPerSecond = ourRate,
                TrainGFlops = ourRate * trainFlops / 1e9,
                TrainSetting = trainSetting,
                TrainSpeedupVsNaive = ourRate / naiveRate,
                EvalImagesPerSecond = evalRate,
                EvalGFlops = evalRate * forwardFlops / 1e9,
                EvalBatchSize = Inference.BatchSize,
                EvalPrecision = Inference.ComputeType == ScalarType.Float32 ? "Float32"
                    : $"{Inference.ComputeType}, close calls (top-2 margin < {Inference.RecheckMargin}) re-run in Float32",
                PredictP50Milliseconds = latency.P50,
                PredictP99Milliseconds = latency.P99,
                PredictDecodeMilliseconds = latency.Decode,
                PredictPreprocessMilliseconds = latency.Preprocess,
                PredictForwardMilliseconds = latency.Forward,
                ColdStartSeconds = coldStart,
                PeakWorkingSetMegabytes = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0),
                Duration = clock.Elapsed,
                Notes = notes,
            };
        }
        finally
        {
            try { temp.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static int Positive(int value, string name) => value >= 1 ? value
        : throw new HandWriteException($"{name} must be at least 1; it was {value}.", HandWriteErrorKind.InvalidArgument);

    internal static string TorchSharpVersion =>
        typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>GFLOP/s of an n x n x n matmul (2n^3 flops) in fp32 and bf16, median of repeats after a warm-up.</summary>
    internal static (double Float32, double BFloat16) MatmulGFlops(int n, int repeats, CancellationToken ct)
    {
        using var random = new Generator(1);
        double Measure(ScalarType type)
        {
            using var scope = NewDisposeScope();
            var a = randn([n, n], generator: random).to(type);
            var b = randn([n, n], generator: random).to(type);
            mm(a, b).Dispose(); // warm-up: thread pool, kernel selection
            double flops = 2.0 * n * n * n;
            int calls = Math.Max(1, (int)(4e9 / flops)); // a few GFLOP per timing, so the timer's resolution does not matter
            var rates = new List<double>();
            for (int r = 0; r < Math.Max(3, repeats); r++)
            {
                ct.ThrowIfCancellationRequested();
                var seconds = Timing.Seconds(() => { for (int i = 0; i < calls; i++) mm(a, b).Dispose(); });
                rates.Add(calls * flops / seconds / 1e9);
            }
            return Timing.Median(rates);
        }
        return (Measure(ScalarType.Float32), Measure(ScalarType.BFloat16));
    }

    /// <summary>MNIST training images as the managed arrays a plain loop starts from.</summary>
    internal sealed class TrainingArrays(float[] pixels, long[] labels) : IDisposable
    {
        public float[] Pixels { get; } = pixels;
        public long[] Labels { get; } = labels;
        public int Count => Labels.Length;
        public void Dispose() { }
    }

    static TrainingArrays LoadTrainingArrays(string folder, int count)
    {
        var (train, validation) = MnistDataset.LoadTraining(folder, 1, count, seed: 1);
        using (train) using (validation)
            return new TrainingArrays(train.Images.data<float>().ToArray(), train.Labels.data<long>().ToArray());
    }

    /// <summary>
    /// The training loop as TorchSharp's MNIST example writes it: fp32, NCHW (<see cref="PlainCnn"/>), batch 64,
    /// TorchSharp's Adam, each batch copied out of managed arrays into a fresh tensor. Returns images per second over <paramref name="images"/> images.
    /// </summary>
    internal static double NaiveTrain(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, TrainingArrays data, int images, CancellationToken ct)
    {
        model.train();
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(images).Shuffle(order);
        var batchPixels = new float[NaiveBatchSize * 784];
        var batchLabels = new long[NaiveBatchSize];
        var clock = Stopwatch.StartNew();
        int done = 0, next = 0;
        while (done < images)
        {
            ct.ThrowIfCancellationRequested();
            int n = Math.Min(NaiveBatchSize, images - done);
            if (n != NaiveBatchSize) { batchPixels = new float[n * 784]; batchLabels = new long[n]; }
            for (int i = 0; i < n; i++, next++)
            {
                int source = order[next % order.Length];
                Array.Copy(data.Pixels, source * 784, batchPixels, i * 784, 784);
                batchLabels[i] = data.Labels[source];
            }
            using var scope = NewDisposeScope();
            var x = tensor(batchPixels, [n, 1, 28, 28]);
            var y = tensor(batchLabels);
            var loss = F.cross_entropy(model.forward(MnistDataset.Normalize(x)), y);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            _ = loss.item<float>();
            done += n;
        }
        return done / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The real Trainer with default options on <paramref name="images"/> images for two epochs; the second
    /// (warm) epoch's training throughput, which the Trainer measures without validation and saving.
    /// </summary>
    static double TrainerImagesPerSecond(string folder, int images, string tempFolder, CancellationToken ct)
    {
        var options = new TrainingOptions
        {
            Epochs = 2, Subset = images, ValidationSize = 64, DataPath = folder,
            ModelPath = Path.Combine(tempFolder, $"trainer-{Guid.NewGuid():N}.hwm"),
        };
        var outcome = Trainer.Train(options, null, null, ct);
        return outcome.History[^1].ImagesPerSecond;
    }

    static string WriteFreshModel(string tempFolder)
    {
        var path = Path.Combine(tempFolder, "fresh.hwm");
        using var model = HandWriteCnn.Create(1);
        ModelFile.Save(model, new ModelMetadata(HandWriteCnn.ArchitectureName, 0, 1, 0, DateTimeOffset.UtcNow, "untrained (benchmark)"), path);
        return path;
    }

    /// <summary>The first <paramref name="count"/> test images (repeated if more than 10,000 are asked for) and the first as pixels.</summary>
    static (Tensor Images, float[] First) LoadTestImages(string folder, int count)
    {
        using var test = MnistDataset.LoadTest(folder);
        using TorchSharp.Scalar end = count, wrap = test.Count; // held until the calls return: see MnistDataset's note on Scalar
        using var index = arange(end, ScalarType.Int64).remainder_(wrap);
        var images = test.Images.index_select(0, index);
        using var row = images[0];
        using var first = row.flatten();
        return (images, first.data<float>().ToArray());
    }

    /// <summary>An MNIST digit drawn the way users send them: 280x280, black ink on white, as a PNG.</summary>
    static string WriteSamplePng(float[] pixels28, string tempFolder)
    {
        var path = Path.Combine(tempFolder, "sample.png");
        using var small = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Gray8, SKAlphaType.Opaque));
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                byte v = (byte)(255 - Math.Clamp((int)Math.Round(pixels28[y * 28 + x] * 255), 0, 255));
                small.SetPixel(x, y, new SKColor(v, v, v));
            }
        using var large = small.Resize(new SKImageInfo(280, 280, SKColorType.Gray8, SKAlphaType.Opaque), new SKSamplingOptions(SKFilterMode.Linear));
        using var image = SKImage.FromBitmap(large);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
        return path;
    }

    internal sealed record Latency(double P50, double P99, double Decode, double Preprocess, double Forward);

    const int WarmUpPredictions = 60;
    static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(2);

    /// <summary>
    /// One file at a time, end to end as Get-DigitPrediction does it (DigitPreprocessor.Load, then the cached
    /// DigitPredictor), timed per phase; warm (the model is loaded and images run for two seconds first).
    /// </summary>
    internal static Latency PredictionLatency(string modelPath, string png, int count, CancellationToken ct)
    {
        var predictor = DigitPredictor.For(modelPath);
        // Warm, as in any folder of images: long enough for .NET's tiered JIT to have recompiled the preprocessing
        // loops with full optimisation (it does so in the background, some time after their 30th call).
        var warming = Stopwatch.StartNew();
        for (int i = 0; i < WarmUpPredictions || warming.Elapsed < WarmUpTime; i++) predictor.Predict([DigitPreprocessor.Load(png)]);
        var total = new List<double>(); var decode = new List<double>(); var preprocess = new List<double>(); var forward = new List<double>();
        for (int i = 0; i < count; i++)
        {
            ct.ThrowIfCancellationRequested();
            long t0 = Stopwatch.GetTimestamp();
            var bytes = ImageDecoding.ReadFile(png);
            using var bitmap = ImageDecoding.DecodeUpright(bytes, png, out var size);
            long t1 = Stopwatch.GetTimestamp();
            var digit = DigitPreprocessor.Run(bitmap, size.Width, size.Height);
            long t2 = Stopwatch.GetTimestamp();
            predictor.Predict([digit]);
            long t3 = Stopwatch.GetTimestamp();
            decode.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
            preprocess.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
            forward.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds);
            total.Add(Stopwatch.GetElapsedTime(t0, t3).TotalMilliseconds);
        }
        return new Latency(Timing.Percentile(total, 0.5), Timing.Percentile(total, 0.99), Timing.Median(decode), Timing.Median(preprocess), Timing.Median(forward));
    }

    /// <summary>Seconds for a new pwsh process to start, import the module and predict one image; NaN (with a note) without pwsh.</summary>
    static double ColdStart(string? pwsh, string? manifest, int? threads, string modelPath, string png, List<string> notes, CancellationToken ct)
    {
        if (pwsh is null || manifest is null || !File.Exists(pwsh))
        {
            notes.Add($"Cold start not measured: no pwsh at {pwsh ?? "(none given)"}.");
            return double.NaN;
        }
        static string Quote(string s) => "'" + s.Replace("'", "''") + "'";
        var psi = new ProcessStartInfo(pwsh) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-NoProfile", "-NonInteractive", "-Command", $"Import-Module {Quote(manifest)}; Get-DigitPrediction -LiteralPath {Quote(png)} -ModelPath {Quote(modelPath)} | Out-Null" })
            psi.ArgumentList.Add(arg);
        if (threads is { } n) psi.Environment["OMP_NUM_THREADS"] = psi.Environment["MKL_NUM_THREADS"] = n.ToString(CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(psi);
        if (process is null) { notes.Add($"Cold start not measured: {pwsh} did not start."); return double.NaN; }
        var stderr = process.StandardError.ReadToEndAsync(ct);
        _ = process.StandardOutput.ReadToEndAsync(ct);
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            notes.Add("Cold start not measured: pwsh took over 2 minutes.");
            return double.NaN;
        }
        if (process.ExitCode != 0)
        {
            notes.Add($"Cold start not measured: pwsh exited with {process.ExitCode}: {stderr.Result.Trim()}");
            return double.NaN;
        }
        return clock.Elapsed.TotalSeconds;
    }
}
