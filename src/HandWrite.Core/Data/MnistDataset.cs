using HandWrite.Core.Native;
using static TorchSharp.torch;

namespace HandWrite.Core.Data;

/// <summary>
/// MNIST held as tensors: images as float [N, 1, 28, 28] in 0..1 (ink = 1), labels as int64 [N].
/// Training code indexes these directly; nothing is copied through managed arrays per batch.
/// </summary>
public sealed class DigitTensors : IDisposable
{
    public Tensor Images { get; }
    public Tensor Labels { get; }
    public int Count => (int)Labels.shape[0];

    public DigitTensors(Tensor images, Tensor labels) { Images = images; Labels = labels; }

    public void Dispose() { Images.Dispose(); Labels.Dispose(); }
}

/// <summary>The MNIST training images split into train and validation, and the test set.</summary>
public static class MnistDataset
{
    /// <summary>Pixel statistics of the MNIST training set, used to normalise every network input.</summary>
    public const float Mean = 0.1307f, Std = 0.3081f;
    // TorchSharp's Scalar is a native object freed by its finalizer and not tracked by DisposeScopes: one made
    // implicitly for a single call (x.div_(2f)) can be finalized while libtorch still reads it (a CI run failed
    // in Scalar::toDouble that way). Constants of per-batch code are made once and stay rooted in static fields.
    static readonly TorchSharp.Scalar MeanScalar = Mean, StdScalar = Std, ByteRange = 255f;

    /// <summary>
    /// Loads the 60,000 training images and splits them with a seeded permutation: the last
    /// <paramref name="validationSize"/> of the permutation are the validation set (never the test set).
    /// <paramref name="subset"/> keeps the first n of the remaining training images, in file order.
    /// </summary>
    public static (DigitTensors Train, DigitTensors Validation) LoadTraining(string folder, int validationSize, int? subset, long seed)
    {
        var (images, labels) = Load(folder, MnistFiles.TrainImages, MnistFiles.TrainLabels);
        using (images) using (labels)
        {
            int n = (int)labels.shape[0];
            if (validationSize < 0 || validationSize >= n)
                throw new HandWriteException($"-ValidationSize must be between 0 and {n - 1}; it was {validationSize}.", HandWriteErrorKind.InvalidArgument);
            var order = Enumerable.Range(0, n).ToArray();
            new Random((int)(seed ^ (seed >> 32))).Shuffle(order);
            var validationIndex = order[(n - validationSize)..];
            var trainIndex = order[..(n - validationSize)];
            Array.Sort(trainIndex); // file order, so -Subset n means "the first n training images"
            if (subset is { } s)
            {
                if (s <= 0) throw new HandWriteException($"-Subset must be positive; it was {s}.", HandWriteErrorKind.InvalidArgument);
                trainIndex = trainIndex[..Math.Min(s, trainIndex.Length)];
            }
            return (Take(images, labels, trainIndex), Take(images, labels, validationIndex));
        }
    }

    public static DigitTensors LoadTest(string folder)
    {
        var (images, labels) = Load(folder, MnistFiles.TestImages, MnistFiles.TestLabels);
        return new DigitTensors(images, labels);
    }

    static DigitTensors Take(Tensor images, Tensor labels, int[] index)
    {
        using var idx = tensor(index.Select(i => (long)i).ToArray());
        return new DigitTensors(images.index_select(0, idx), labels.index_select(0, idx));
    }

    static (Tensor Images, Tensor Labels) Load(string folder, string imagesName, string labelsName)
    {
        TorchRuntime.EnsureInitialized();
        var (pixels, count, rows, cols) = IdxFile.ParseImages(MnistFiles.ReadVerified(folder, imagesName), imagesName);
        var labels = IdxFile.ParseLabels(MnistFiles.ReadVerified(folder, labelsName), labelsName);
        if (labels.Length != count)
            throw new HandWriteException($"MNIST in '{folder}' has {count} images but {labels.Length} labels.", HandWriteErrorKind.InvalidData, target: folder);
        // Sources held by usings until the conversions have read them (see HandWriteCnn's constructor).
        using var raw = tensor(pixels, [count, 1, rows, cols]);
        using var rawLabels = tensor(labels);
        var images = raw.to(ScalarType.Float32).div_(ByteRange);
        return (images, rawLabels.to(ScalarType.Int64));
    }

    /// <summary>MNIST normalisation, applied to 0..1 images right before the network.</summary>
    public static Tensor Normalize(Tensor images01) => images01.sub(MeanScalar).div_(StdScalar);
}
