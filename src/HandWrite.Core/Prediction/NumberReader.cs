using HandWrite.Core.Imaging;

namespace HandWrite.Core.Prediction;

/// <summary>One digit of a read number: what the network says and where the digit is in the picture.</summary>
public sealed record NumberDigitResult(int Digit, double Confidence, DigitBox Box, float[] Probabilities);

/// <summary>
/// A written number as read: <see cref="Number"/> is the digits left to right (a string, so leading zeros and
/// long numbers survive), null with a <see cref="Reason"/> when the picture holds no ink.
/// <see cref="Confidence"/> is the product of the digits' confidences: the model's probability that every
/// digit, and so the whole number, is right (taking the digits as independent). It falls with every
/// uncertain digit, unlike the minimum, and is 0 when there is no number.
/// </summary>
public sealed record NumberReading(string? Number, double Confidence, IReadOnlyList<NumberDigitResult> Digits, string? Reason);

/// <summary>Reads whole numbers: <see cref="NumberSegmentation"/> finds the digits, a <see cref="DigitPredictor"/> reads each.</summary>
public static class NumberReader
{
    /// <summary>Reads the number in an image file.</summary>
    /// <exception cref="HandWriteException">The file cannot be read or decoded; Target = path.</exception>
    public static NumberReading Read(string path, DigitPredictor predictor) => Read([NumberSegmentation.Load(path)], predictor)[0];

    /// <summary>Reads several segmented numbers with one network pass over all their digits, in input order.</summary>
    /// <remarks>Where the segmentation cut a wide piece into digits that may be one digit, the reading with the
    /// higher probability wins: the one digit's confidence against the product of the parts' confidences.</remarks>
    public static IReadOnlyList<NumberReading> Read(IReadOnlyList<NumberSegments> numbers, DigitPredictor predictor)
    {
        ArgumentNullException.ThrowIfNull(numbers);
        ArgumentNullException.ThrowIfNull(predictor);
        var images = numbers.SelectMany(n => n.Digits.Select(d => d.Image).Concat(n.Undivided.Select(u => u.Whole.Image))).ToList();
        var predictions = images.Count == 0 ? [] : predictor.Predict(images);
        var readings = new List<NumberReading>(numbers.Count);
        int next = 0;
        foreach (var number in numbers)
        {
            NumberDigitResult Result(SegmentedDigit d)
            {
                var p = predictions[next++];
                return new NumberDigitResult(p.Digit!.Value, p.Confidence, d.Box, p.Probabilities);
            }
            var digits = number.Digits.Select(Result).ToList();
            var wholes = number.Undivided.Select(u => (u.First, u.Count, Whole: Result(u.Whole))).ToList();
            // Right to left, so earlier positions stay valid as parts collapse into one digit.
            foreach (var (first, count, whole) in wholes.OrderByDescending(u => u.First))
                if (whole.Confidence > digits.Skip(first).Take(count).Aggregate(1.0, (c, d) => c * d.Confidence))
                {
                    digits.RemoveRange(first, count);
                    digits.Insert(first, whole);
                }
            readings.Add(digits.Count == 0
                ? new NumberReading(null, 0, [], number.BlankReason ?? "No digit found.")
                : new NumberReading(string.Concat(digits.Select(d => d.Digit)), digits.Aggregate(1.0, (c, d) => c * d.Confidence), digits, null));
        }
        return readings;
    }
}
