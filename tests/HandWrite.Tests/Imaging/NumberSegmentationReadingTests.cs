using HandWrite.Core.Imaging;
using HandWrite.Core.Prediction;
using Xunit.Abstractions;

namespace HandWrite.Tests.Imaging;

/// <summary>
/// Whole numbers composed from real handwritten digits (3-5 MNIST training digits, each drawn on its own picture
/// as dark ink on white, put side by side with random gaps by <see cref="NumberComposer"/>, seeded): segmented into
/// the right digits, and read exactly by a trained model.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class NumberSegmentationReadingTests(TrainedModelFixture model, ITestOutputHelper output) : IDisposable
{
    const int Numbers = 30;
    /// <summary>How many times each number's digits are enlarged from MNIST's 28 px: pictures of about 80-170 px
    /// with strokes 8-17 px wide, as pens on a canvas draw them.</summary>
    const int MinScale = 3, MaxScale = 6;

    readonly string work = TestEnvironment.NewTempFolder("numbers");

    public void Dispose() => Directory.Delete(work, true);

    internal sealed record Composed(string Path, string Truth, IReadOnlyList<DigitBox> Boxes, IReadOnlyList<string> Files);

    /// <summary>
    /// Numbers of 3-5 random training digits, each number's digits enlarged alike (one pen), seeded. Only digits
    /// the fixture's model never trained on: its -Subset keeps the first training images in file order, so none
    /// at or after Subset + ValidationSize, and a reading is of handwriting new to the model, as a user's is.
    /// </summary>
    internal List<Composed> Compose(int seed)
    {
        int firstUnseen = model.Options.Subset!.Value + model.Options.ValidationSize;
        var random = new Random(seed);
        var composed = new List<Composed>();
        for (int n = 0; n < Numbers; n++)
        {
            int scale = random.Next(MinScale, MaxScale + 1);
            var indices = Enumerable.Range(0, random.Next(3, 6)).Select(_ => random.Next(firstUnseen, MnistTrainingDigits.Count)).ToList();
            var files = indices.Select(index =>
            {
                var file = Path.Combine(work, $"train-{index:D5}-x{scale}.png");
                MnistTrainingDigits.SaveDrawn(index, scale, file);
                return file;
            }).ToList();
            var path = Path.Combine(work, $"number-{n:D2}.png");
            var boxes = NumberComposer.Compose(files, seed + n, path);
            composed.Add(new Composed(path, string.Concat(indices.Select(MnistTrainingDigits.Label)), boxes, files));
        }
        return composed;
    }

    /// <summary>
    /// MNIST's pens often leave a digit in pieces (a 4 in two strokes, a 5's bar apart), and enlarging widens the
    /// gaps: 26-30 of 30 split right over 8 seeds, 27 on this one (its misses two 4s and a 5, each found as two
    /// digits). Segmentation does not depend on the model, so the count is the same every run; the floor is under it.
    /// </summary>
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
        Assert.True(right >= 26, $"only {right} of {composed.Count} composed numbers were split into their digits");
    }

    /// <summary>
    /// Measured with the fixture's short (2-epoch, 20,000-image) model, whose training is not bit-reproducible:
    /// 25-28 of 30 exact over 8 seeds, 27 on this one in each of two runs, the misses being digits this model also
    /// misreads alone. So the floor on exact numbers is set under that, and the segmentation's own share is held
    /// tight: the number must read as its digits read one by one from their own files (29-30 of 30 measured).
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
        Assert.True(exact >= 24, $"only {exact} of {composed.Count} composed numbers were read exactly");
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
