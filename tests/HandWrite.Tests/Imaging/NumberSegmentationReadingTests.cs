using HandWrite.Core.Imaging;
using HandWrite.Core.Prediction;
using Xunit.Abstractions;

namespace HandWrite.Tests.Imaging;

/// <summary>
/// Whole numbers composed from the real hand-drawn digits (3-5 digits of one drawing set side by side with
/// random gaps, seeded): segmented into the right digits, and read exactly by a trained model.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class NumberSegmentationReadingTests(TrainedModelFixture model, ITestOutputHelper output) : IDisposable
{
    const int Numbers = 30;
    static readonly string[] Sets = ["canvas-thin", "paint-32px"];

    readonly string work = TestEnvironment.NewTempFolder("numbers");

    public void Dispose() => Directory.Delete(work, true);

    internal sealed record Composed(string Path, string Truth, IReadOnlyList<DigitBox> Boxes, IReadOnlyList<string> Files);

    /// <summary>Numbers of 3-5 random digits, each number drawn from one set (one person's pen), seeded.</summary>
    internal List<Composed> Compose(int seed)
    {
        var random = new Random(seed);
        var composed = new List<Composed>();
        for (int n = 0; n < Numbers; n++)
        {
            var set = Path.Combine(TestEnvironment.WildDigitsFolder, Sets[random.Next(Sets.Length)]);
            var digits = Enumerable.Range(0, random.Next(3, 6)).Select(_ => random.Next(10)).ToList();
            var files = digits.Select(d =>
            {
                var candidates = Directory.GetFiles(Path.Combine(set, d.ToString()), "*.png").Order(StringComparer.Ordinal).ToArray();
                return candidates[random.Next(candidates.Length)];
            }).ToList();
            var path = Path.Combine(work, $"number-{n:D2}.png");
            var boxes = NumberComposer.Compose(files, seed + n, path);
            composed.Add(new Composed(path, string.Concat(digits), boxes, files));
        }
        return composed;
    }

    [Fact]
    public void Composed_numbers_split_into_their_digits_where_they_were_placed()
    {
        var composed = Compose(seed: 11);
        int right = 0;
        foreach (var number in composed)
        {
            var found = NumberSegmentation.Load(number.Path).Digits.Select(d => d.Box).ToList();
            // Same count, and each found digit's centre inside the box where the digit at its position was placed.
            bool same = found.Count == number.Boxes.Count && found.Zip(number.Boxes).All(pair =>
                pair.First.X + pair.First.Width / 2.0 >= pair.Second.X && pair.First.X + pair.First.Width / 2.0 <= pair.Second.X + pair.Second.Width);
            if (same) right++;
            else output.WriteLine($"{Path.GetFileName(number.Path)} {number.Truth}: placed {string.Join("; ", number.Boxes)}, found {string.Join("; ", found)}");
        }
        output.WriteLine($"segmented {right}/{composed.Count}");
        Assert.True(right >= 28, $"only {right} of {composed.Count} composed numbers were split into their digits");
    }

    /// <summary>
    /// Measured with the fixture's short (2-epoch, 10k-image) model, whose training is not bit-reproducible:
    /// 21-26 of 30 exact over runs, nearly all misses being digits this model also misreads alone. So the
    /// floor on exact numbers is set under that, and the segmentation's own share is held tight: the number
    /// must read as its digits read one by one from their own files.
    /// </summary>
    [Fact]
    public void Composed_numbers_are_read_exactly_and_as_their_digits_read_alone()
    {
        var composed = Compose(seed: 2024);
        var predictor = DigitPredictor.For(model.ModelPath);
        int exact = 0, asAlone = 0;
        foreach (var number in composed)
        {
            var reading = NumberReader.Read(number.Path, predictor);
            Assert.Null(reading.Reason);
            Assert.Equal(reading.Number, string.Concat(reading.Digits.Select(d => d.Digit)));
            Assert.Equal(reading.Digits.Aggregate(1.0, (c, d) => c * d.Confidence), reading.Confidence, 12);
            var alone = string.Concat(predictor.Predict(number.Files.Select(DigitPreprocessor.Load).ToList()).Select(r => r.Digit));
            if (reading.Number == number.Truth) exact++;
            if (reading.Number == alone) asAlone++;
            if (reading.Number != number.Truth || reading.Number != alone)
                output.WriteLine($"{Path.GetFileName(number.Path)}: {number.Truth} read as {reading.Number}, digits alone {alone} ({string.Join(", ", reading.Digits.Select(d => $"{d.Digit} {d.Confidence:P0}"))})");
        }
        output.WriteLine($"exact {exact}/{composed.Count}, as read alone {asAlone}/{composed.Count}");
        Assert.True(exact >= 20, $"only {exact} of {composed.Count} composed numbers were read exactly");
        Assert.True(asAlone >= 27, $"only {asAlone} of {composed.Count} composed numbers read as their digits do alone");
    }

    [Fact]
    public void A_blank_picture_reads_as_no_number_with_a_reason()
    {
        var blank = Path.Combine(work, "blank.png");
        DigitPreprocessor.SavePng(new float[DigitImage.Side * DigitImage.Side], blank);
        var reading = NumberReader.Read(blank, DigitPredictor.For(model.ModelPath));
        Assert.Null(reading.Number);
        Assert.Empty(reading.Digits);
        Assert.Equal(0, reading.Confidence);
        Assert.Equal(InkSegmentation.UniformReason, reading.Reason);
    }
}
