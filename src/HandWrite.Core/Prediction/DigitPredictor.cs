using System.Collections.Concurrent;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Imaging;
using HandWrite.Core.Model;
using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Core.Prediction;

/// <summary>What the network says about one image. Digit is null (with a Reason) when there was nothing to read.</summary>
public sealed record DigitPredictionResult(int? Digit, double Confidence, float[] Probabilities, string? Reason);

/// <summary>
/// A loaded model, or an ensemble of them, ready to classify preprocessed digits. Single-model instances are
/// cached per model file (keyed by full path, size and write time, so a retrained file is reloaded) and are safe
/// to share between runspaces: forward passes on one model are serialised by a lock, and libtorch uses all cores
/// inside each. An ensemble averages its models' probabilities and shares their cached instances.
/// </summary>
public sealed class DigitPredictor
{
    static readonly ConcurrentDictionary<string, Lazy<DigitPredictor>> Cache = new();

    readonly InferenceModel? model;
    readonly object gate = new();
    /// <summary>The single-model predictors an ensemble averages; empty for a single model.</summary>
    readonly DigitPredictor[] members = [];

    /// <summary>What the model file says about itself (for an ensemble, its first model).</summary>
    public ModelInfo Info { get; }

    DigitPredictor(string path)
    {
        TorchRuntime.EnsureInitialized();
        (var network, Info) = ModelFile.Load(path);
        model = new InferenceModel(network);
    }

    DigitPredictor(DigitPredictor[] members)
    {
        this.members = members;
        Info = members[0].Info;
    }

    /// <summary>One model's predictor, or for several paths their ensemble: the mean of their softmax outputs.</summary>
    public static DigitPredictor For(IReadOnlyList<string> modelPaths)
    {
        if (modelPaths.Count == 0) throw new ArgumentException("At least one model path is needed.", nameof(modelPaths));
        var predictors = modelPaths.Select(For).ToArray(); // each loads (or fails) once, and stays cached on its own
        return predictors.Length == 1 ? predictors[0] : new DigitPredictor(predictors);
    }

    /// <summary>The predictor for <paramref name="modelPath"/>, loading it once per process (and again if the file changes).</summary>
    public static DigitPredictor For(string modelPath)
    {
        var full = Path.GetFullPath(modelPath);
        var file = new FileInfo(full);
        var key = file.Exists ? $"{full}|{file.Length}|{file.LastWriteTimeUtc.Ticks}" : full;
        var lazy = Cache.GetOrAdd(key, k => new Lazy<DigitPredictor>(() => new DigitPredictor(full)));
        DigitPredictor predictor;
        try { predictor = lazy.Value; }
        catch { Cache.TryRemove(key, out _); throw; } // do not cache failures: the user may fix the file
        // A rewritten file got a new key: forget the older versions so long sessions do not accumulate models.
        foreach (var stale in Cache.Keys.Where(k => k != key && k.StartsWith(full + "|", StringComparison.Ordinal)))
            Cache.TryRemove(stale, out _);
        return predictor;
    }

    /// <summary>Drops cached models (tests, or to free memory).</summary>
    public static void ClearCache() => Cache.Clear();

    public IReadOnlyList<DigitPredictionResult> Predict(IReadOnlyList<DigitImage> images)
    {
        var results = new DigitPredictionResult?[images.Count];
        var readable = new List<int>();
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].BlankReason is { } reason) results[i] = new DigitPredictionResult(null, 0, new float[10], reason);
            else readable.Add(i);
        }
        if (readable.Count > 0)
        {
            var probabilities = Probabilities(readable.Select(i => images[i].Pixels).ToList());
            for (int j = 0; j < readable.Count; j++)
            {
                var p = probabilities[j];
                int digit = Array.IndexOf(p, p.Max());
                results[readable[j]] = new DigitPredictionResult(digit, p[digit], p, null);
            }
        }
        return results!;
    }

    /// <summary>Softmax probabilities [10] for each 28x28 input (0..1, ink = 1).</summary>
    public float[][] Probabilities(IReadOnlyList<float[]> inputs)
    {
        var flat = new float[inputs.Count * 784];
        for (int i = 0; i < inputs.Count; i++) inputs[i].CopyTo(flat, i * 784);
        using var batch = tensor(flat, [inputs.Count, 1, 28, 28]);
        return ProbabilitiesPerImage(batch, CancellationToken.None);
    }

    /// <summary>Softmax probabilities, ten for each of the images [N,1,28,28] in 0..1.</summary>
    internal float[][] ProbabilitiesPerImage(Tensor images01, CancellationToken ct) => Probabilities(images01, ct).Chunk(10).ToArray();

    /// <summary>Softmax probabilities, flat [N*10], for images [N,1,28,28] in 0..1; for an ensemble, their mean.</summary>
    internal float[] Probabilities(Tensor images01, CancellationToken ct)
    {
        if (model is null) return MeanProbabilities(images01, ct);
        using var scope = NewDisposeScope();
        lock (gate) return Inference.Logits(model, images01, ct).softmax(1).data<float>().ToArray();
    }

    float[] MeanProbabilities(Tensor images01, CancellationToken ct)
    {
        var mean = new float[images01.shape[0] * 10];
        foreach (var member in members)
        {
            ct.ThrowIfCancellationRequested();
            var p = member.Probabilities(images01, ct);
            for (int i = 0; i < mean.Length; i++) mean[i] += p[i] / members.Length;
        }
        return mean;
    }
}
