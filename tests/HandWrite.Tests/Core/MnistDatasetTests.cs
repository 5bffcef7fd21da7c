using System.Security.Cryptography;
using HandWrite.Core;
using HandWrite.Core.Data;
using static HandWrite.Tests.Core.CoreTestSupport;

namespace HandWrite.Tests.Core;

/// <summary>The seeded train/validation split of the 60,000 MNIST training images, and the separate test set.</summary>
[Collection(TorchCollection.Name)]
public sealed class MnistDatasetTests
{
    /// <summary>One hash per image row (its float pixels), so splits can be compared with the file as multisets.</summary>
    static string[] RowHashes(DigitTensors set)
    {
        var all = set.Images.reshape(set.Count, 784).data<float>().ToArray();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(all.AsSpan()).ToArray();
        return Enumerable.Range(0, set.Count).Select(i => Convert.ToHexString(SHA256.HashData(bytes.AsSpan(i * 784 * 4, 784 * 4)))).ToArray();
    }

    static string[] FileRowHashes(string name)
    {
        var (pixels, count, _, _) = IdxFile.ParseImages(MnistFiles.ReadVerified(TestEnvironment.MnistFolder, name), name);
        var floats = pixels.Select(p => p / 255f).ToArray();
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
        return Enumerable.Range(0, count).Select(i => Convert.ToHexString(SHA256.HashData(bytes.AsSpan(i * 784 * 4, 784 * 4)))).ToArray();
    }

    static Dictionary<string, int> Counts(IEnumerable<string> hashes) =>
        hashes.GroupBy(h => h).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public void Split_is_a_seeded_partition_of_the_training_file()
    {
        var fileRows = FileRowHashes(MnistFiles.TrainImages);
        string[] train1, validation1, validation1Again, validation2;
        long[] validationLabels1;
        {
            var (train, validation) = MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 5000, null, seed: 1);
            using (train) using (validation)
            {
                Assert.Equal(55_000, train.Count);
                Assert.Equal(5_000, validation.Count);
                Assert.Equal(new long[] { 55_000, 1, 28, 28 }, train.Images.shape);
                Assert.Equal(new long[] { 5_000 }, validation.Labels.shape);
                Assert.Equal(TorchSharp.torch.ScalarType.Float32, train.Images.dtype);
                Assert.Equal(TorchSharp.torch.ScalarType.Int64, train.Labels.dtype);
                // Images are 0..1 with ink reaching 1 (255/255), not 0..255 and not normalised yet.
                using var scope = TorchSharp.torch.NewDisposeScope(); // holds min/max/mean until item() has read them
                Assert.Equal(0f, train.Images.min().item<float>());
                Assert.Equal(1f, train.Images.max().item<float>());
                Assert.InRange(train.Images.mean().item<float>(), 0.12f, 0.14f);
                train1 = RowHashes(train);
                validation1 = RowHashes(validation);
                validationLabels1 = validation.Labels.data<long>().ToArray();
            }
        }
        // Train + validation together are exactly the file's 60,000 images, each used once (multiset equality,
        // which holds even if MNIST has duplicate pictures): the two sets are disjoint by index.
        var together = Counts(train1.Concat(validation1));
        var file = Counts(fileRows);
        Assert.Equal(file.Count, together.Count);
        Assert.All(file, kv => Assert.Equal(kv.Value, together.GetValueOrDefault(kv.Key)));
        // Training images stay in file order: they are a subsequence of the file.
        int at = 0;
        foreach (var h in train1) { while (fileRows[at] != h) at++; at++; }

        {
            var (train, validation) = MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 5000, null, seed: 1);
            using (train) using (validation)
            {
                validation1Again = RowHashes(validation);
                Assert.Equal(validationLabels1, validation.Labels.data<long>().ToArray());
            }
        }
        Assert.Equal(validation1, validation1Again);

        {
            var (train, validation) = MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 5000, null, seed: 2);
            using (train) using (validation) validation2 = RowHashes(validation);
        }
        // Another seed picks another validation set (not merely another order of the same one).
        int shared = validation2.Intersect(validation1).Count();
        Assert.InRange(shared, 0, 1000); // by chance about 5000 * 5000 / 60000 = 417
    }

    [Fact]
    public void Subset_keeps_the_first_n_training_images_and_leaves_validation_alone()
    {
        string[] full, fullValidation;
        {
            var (train, validation) = MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 1000, null, seed: 7);
            using (train) using (validation) { full = RowHashes(train)[..300]; fullValidation = RowHashes(validation); }
        }
        var (t, v) = MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 1000, subset: 300, seed: 7);
        using (t) using (v)
        {
            Assert.Equal(300, t.Count);
            Assert.Equal(full, RowHashes(t));
            Assert.Equal(fullValidation, RowHashes(v));
        }
        var (big, bigValidation) = MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 1000, subset: 1_000_000, seed: 7);
        using (big) using (bigValidation) Assert.Equal(59_000, big.Count);
    }

    [Fact]
    public void Bad_split_arguments_are_InvalidArgument()
    {
        Assert.Contains("-ValidationSize", Throws(HandWriteErrorKind.InvalidArgument, () => MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 60_000, null, 1)).Message);
        Assert.Contains("-Subset", Throws(HandWriteErrorKind.InvalidArgument, () => MnistDataset.LoadTraining(TestEnvironment.MnistFolder, 100, 0, 1)).Message);
    }

    [Fact]
    public void Training_reads_only_the_training_files_and_the_test_set_only_the_test_files()
    {
        using var temp = new TempFolder();
        var trainOnly = Directory.CreateDirectory(temp["train-only"]).FullName;
        var testOnly = Directory.CreateDirectory(temp["test-only"]).FullName;
        void Link(string folder, params string[] names)
        {
            foreach (var name in names)
            {
                var genuine = MnistFiles.Find(TestEnvironment.MnistFolder, name)!;
                File.CreateSymbolicLink(Path.Combine(folder, Path.GetFileName(genuine)), genuine);
            }
        }
        Link(trainOnly, MnistFiles.TrainImages, MnistFiles.TrainLabels);
        Link(testOnly, MnistFiles.TestImages, MnistFiles.TestLabels);

        var (train, validation) = MnistDataset.LoadTraining(trainOnly, 100, 100, 1);
        train.Dispose(); validation.Dispose();
        Throws(HandWriteErrorKind.NotFound, () => MnistDataset.LoadTest(trainOnly));

        using var test = MnistDataset.LoadTest(testOnly);
        using var scope = TorchSharp.torch.NewDisposeScope(); // holds min/max until item() has read them
        Assert.Equal(10_000, test.Count);
        Assert.Equal(0f, test.Images.min().item<float>());
        Assert.Equal(1f, test.Images.max().item<float>());
        Assert.Equal(FileRowHashes(MnistFiles.TestImages), RowHashes(test));
        Throws(HandWriteErrorKind.NotFound, () => MnistDataset.LoadTraining(testOnly, 100, 100, 1));
    }
}
