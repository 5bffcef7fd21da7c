using System.Diagnostics;
using System.Globalization;
using System.Text;
using HandWrite.Core.Data;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace HandWrite.Core.Training;

/// <summary>The training loop, top to bottom. Hyper-parameters come from <see cref="TrainingOptions"/>.</summary>
public static class Trainer
{
    /// <summary>Fails before any work when the model (or its side files) could not be written.</summary>
    public static void CheckOutputWritable(string modelPath) => AtomicFile.CheckWritable(modelPath);

    public static TrainingOutcome Train(TrainingOptions options, IProgress<TrainingProgress>? progress, Action<string>? log, CancellationToken ct,
        IProgress<DataProgress>? dataProgress = null)
    {
        options.Validate();
        CheckOutputWritable(options.ModelPath);
        TorchRuntime.EnsureInitialized();
        var clock = Stopwatch.StartNew();

        var folder = MnistSource.Locate(options.DataPath, dataProgress, ct);
        var (train, validation) = MnistDataset.LoadTraining(folder, options.ValidationSize, options.Subset, options.Seed);
        using var _train = train;
        using var _validation = validation;

        // Initial weights come from libtorch's global generator, seeded and drawn under its lock.
        using var model = HandWriteCnn.Create(options.Seed);
        // Everything random after initialisation (order, augmentation, dropout) draws from this run's own generator.
        using var random = new Generator((ulong)options.Seed);
        model.RandomSource = random;
        using var optimizer = new AdamOptimizer(model.parameters());
        var history = new List<EpochMetrics>();
        int firstEpoch = 1;
        if (options.Resume)
        {
            var checkpoint = Checkpoint.Load(options.CheckpointPath, model, optimizer, options);
            history.AddRange(checkpoint.History);
            firstEpoch = checkpoint.Epoch + 1;
            log?.Invoke(checkpoint.Epoch >= options.Epochs
                ? $"{options.CheckpointPath} already finished all {options.Epochs} epochs; nothing left to train."
                : $"Resuming after epoch {checkpoint.Epoch} from {options.CheckpointPath}.");
            if (checkpoint.Epoch >= options.Epochs && !File.Exists(options.ModelPath))
                throw new HandWriteException($"The run in '{options.CheckpointPath}' is finished but its model '{options.ModelPath}' is gone. Train again without -Resume.", HandWriteErrorKind.NotFound, target: options.ModelPath);
        }

        var computeType = options.EffectivePrecision == TrainingPrecision.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        log?.Invoke($"Training {options.Epochs} epochs on {train.Count} images ({options.Preset} preset, {options.EffectivePrecision}, batch {options.BatchSize}, {get_num_threads()} threads); "
            + (options.KeepsLastEpoch ? "no validation images: the last epoch is kept." : $"validating on {validation.Count}."));
        int batchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        long totalSteps = (long)batchesPerEpoch * options.Epochs;
        double trainSeconds = history.Sum(h => h.Duration.TotalSeconds);
        long trainImages = (long)history.Count * train.Count;

        for (int epoch = firstEpoch; epoch <= options.Epochs; epoch++)
        {
            // Everything random in an epoch (order, augmentation, dropout) follows from (seed, epoch),
            // so a run resumed from an epoch's checkpoint ends with the same weights as one never stopped.
            random.manual_seed(options.Seed * 1_000_003 + epoch);
            var epochClock = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            model.train();
            using var order = randperm(train.Count, generator: random);
            double lossSum = 0; long correct = 0, seen = 0;
            double lr = options.LearningRate;

            for (int batch = 0; batch < batchesPerEpoch; batch++)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                long step = (long)(epoch - 1) * batchesPerEpoch + batch;
                lr = LearningRateAt(options, step, totalSteps);

                var index = order.narrow(0, (long)batch * options.BatchSize, Math.Min(options.BatchSize, train.Count - (long)batch * options.BatchSize));
                var images = train.Images.index_select(0, index);
                var labels = train.Labels.index_select(0, index);
                if (options.Augment) images = Augmentation.Apply(images, random);

                var logits = model.forward(MnistDataset.Normalize(images).to(computeType)).to(ScalarType.Float32);
                var loss = F.cross_entropy(logits, labels, label_smoothing: options.LabelSmoothing);
                optimizer.ZeroGrad();
                loss.backward();
                optimizer.Step(lr);

                long n = labels.shape[0];
                lossSum += loss.item<float>() * n;
                correct += logits.argmax(1).eq(labels).sum().item<long>();
                seen += n;
                if (epochClock.Elapsed - lastReport > TimeSpan.FromMilliseconds(500) || batch == batchesPerEpoch - 1)
                {
                    lastReport = epochClock.Elapsed;
                    progress?.Report(new TrainingProgress(epoch, options.Epochs, batch + 1, batchesPerEpoch,
                        lossSum / seen, (double)correct / seen, seen / epochClock.Elapsed.TotalSeconds));
                }
            }
            var trainTime = epochClock.Elapsed;

            // Without validation images there is nothing to choose by: each epoch is "best" and the last one stays.
            var (valLoss, valAccuracy) = options.KeepsLastEpoch ? (double.NaN, double.NaN) : Validate(model, validation, ct);
            bool isBest = options.KeepsLastEpoch || history.Count == 0 || valAccuracy > history.Max(h => h.ValidationAccuracy);
            var metrics = new EpochMetrics(epoch, lossSum / seen, (double)correct / seen, valLoss, valAccuracy, lr,
                epochClock.Elapsed, seen / trainTime.TotalSeconds, isBest);
            history.Add(metrics);
            trainSeconds += trainTime.TotalSeconds;
            trainImages += seen;

            if (isBest)
                ModelFile.Save(model, new ModelMetadata(HandWriteCnn.ArchitectureName, epoch, options.Seed, valAccuracy, DateTimeOffset.UtcNow, options.Preset.ToString()), options.ModelPath);
            Checkpoint.Save(options.CheckpointPath, model, optimizer, epoch, history, options);
            AtomicFile.WriteText(options.MetricsCsvPath, MetricsCsv(history));
            string validationText = options.KeepsLastEpoch ? "no validation, saved"
                : string.Format(CultureInfo.InvariantCulture, "validation loss {0:F4} acc {1:P2}{2}", valLoss, valAccuracy, isBest ? " (best, saved)" : "");
            log?.Invoke(string.Format(CultureInfo.InvariantCulture,
                "Epoch {0}/{1}: train loss {2:F4} acc {3:P2} | {4} | {5:F0} images/s, {6:F1} s",
                epoch, options.Epochs, metrics.TrainLoss, metrics.TrainAccuracy, validationText, metrics.ImagesPerSecond, metrics.Duration.TotalSeconds));
        }

        string? curve = options.CurvePngPath;
        bool trainedNow = firstEpoch <= options.Epochs; // false when -Resume found the run already finished
        if (trainedNow || !File.Exists(curve))
        {
            try { Reports.Charts.TrainingCurve(history, curve); }
            catch (HandWriteException ex) { log?.Invoke($"Training curve not written: {ex.Message}"); curve = null; }
        }

        // The epoch whose weights the model file holds: the last one marked best (with no validation, the last epoch).
        var best = history.Last(h => h.IsBest);
        return new TrainingOutcome
        {
            ModelPath = Path.GetFullPath(options.ModelPath),
            History = history,
            BestValidationAccuracy = best.ValidationAccuracy,
            BestEpoch = best.Epoch,
            Duration = clock.Elapsed,
            ImagesPerSecond = trainSeconds > 0 ? trainImages / trainSeconds : 0,
            MetricsCsvPath = Path.GetFullPath(options.MetricsCsvPath),
            CurvePngPath = curve is null ? null : Path.GetFullPath(curve),
        };
    }

    /// <summary>Linear warm-up, then cosine decay to zero (Best); constant otherwise (Seed).</summary>
    internal static double LearningRateAt(TrainingOptions o, long step, long totalSteps)
    {
        if (!o.CosineSchedule) return o.LearningRate;
        long warmup = Math.Max(1, (long)(o.WarmupFraction * totalSteps));
        if (step < warmup) return o.LearningRate * (step + 1) / warmup;
        double progress = (double)(step - warmup) / Math.Max(1, totalSteps - warmup);
        return o.LearningRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }

    static (double Loss, double Accuracy) Validate(HandWriteCnn model, DigitTensors data, CancellationToken ct)
    {
        using var scope = NewDisposeScope();
        var logits = Inference.Logits(model, data.Images, ct);
        double loss = F.cross_entropy(logits, data.Labels).item<float>();
        double accuracy = logits.argmax(1).eq(data.Labels).sum().item<long>() / (double)data.Count;
        return (loss, accuracy);
    }

    static string MetricsCsv(IEnumerable<EpochMetrics> history)
    {
        var sb = new StringBuilder("Epoch,TrainLoss,TrainAccuracy,ValidationLoss,ValidationAccuracy,LearningRate,Seconds,ImagesPerSecond,IsBest\n");
        foreach (var h in history)
            sb.AppendLine(string.Join(",", new object[] { h.Epoch, h.TrainLoss, h.TrainAccuracy, h.ValidationLoss, h.ValidationAccuracy,
                h.LearningRate, h.Duration.TotalSeconds, h.ImagesPerSecond, h.IsBest }.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        return sb.ToString();
    }
}
