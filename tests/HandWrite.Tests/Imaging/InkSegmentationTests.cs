using HandWrite.Core.Imaging;
using SkiaSharp;
using static HandWrite.Tests.Imaging.SyntheticDigits;

namespace HandWrite.Tests.Imaging;

/// <summary>The pipeline's inner steps on their own: polarity, paper subtraction, ruled lines, Otsu, distances.</summary>
public sealed class InkSegmentationTests
{
    private static Plane Gray(SKBitmap bitmap)
    {
        using (bitmap)
        {
            var (luminance, alpha) = InkSegmentation.ReadChannels(bitmap);
            return InkSegmentation.CompositeOverPaper(luminance, alpha);
        }
    }

    private static void Gradient(SKCanvas canvas, SKColor from, SKColor to, int size)
    {
        using var paint = new SKPaint { Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(size, 0), [from, to], SKShaderTileMode.Clamp) };
        canvas.DrawRect(0, 0, size, size, paint);
    }

    public static TheoryData<string, bool> PolarityCases() => new()
    {
        { "thin black line on white", true },
        { "thin white line on black", false },
        { "dark ink on light-to-mid gradient", true },
        { "light chalk on dark-to-mid gradient", false },
        { "bold black marker filling a third", true },
        { "bold white paint filling a third", false },
    };

    [Theory]
    [MemberData(nameof(PolarityCases))]
    public void PolarityFollowsTheMinorityNotAFixedThreshold(string picture, bool darkInk)
    {
        var gray = picture switch
        {
            "thin black line on white" => Gray(Draw(600, 400, SKColors.White, SKColors.Black, 1, new SKRect(250, 100, 350, 300))),
            "thin white line on black" => Gray(Draw(600, 400, SKColors.Black, SKColors.White, 1, new SKRect(250, 100, 350, 300))),
            "dark ink on light-to-mid gradient" => Gray(Draw(300, 300, SKColors.White, new SKColor(40, 40, 40), 8, new SKRect(90, 70, 210, 230),
                background: c => Gradient(c, new SKColor(250, 250, 250), new SKColor(110, 110, 110), 300))),
            "light chalk on dark-to-mid gradient" => Gray(Draw(300, 300, SKColors.White, new SKColor(215, 215, 215), 8, new SKRect(90, 70, 210, 230),
                background: c => Gradient(c, new SKColor(10, 10, 10), new SKColor(140, 140, 140), 300))),
            "bold black marker filling a third" => Gray(Draw(200, 200, SKColors.White, SKColors.Black, 36, new SKRect(40, 30, 160, 170))),
            _ => Gray(Draw(200, 200, SKColors.Black, SKColors.White, 36, new SKRect(40, 30, 160, 170))),
        };
        Assert.Equal(darkInk, InkSegmentation.IsDarkInk(gray, InkSegmentation.LocalMean(gray)));
    }

    [Fact]
    public void PaperSubtractionFlattensLightingAndKeepsStrokes()
    {
        // Paper from 250 down to 100 left to right (stronger than the ink contrast on the dark side).
        var gray = Gray(Draw(300, 300, SKColors.White, new SKColor(30, 30, 30), 10, new SKRect(90, 70, 210, 230),
            background: c => Gradient(c, new SKColor(250, 250, 250), new SKColor(100, 100, 100), 300)));
        var contrast = InkSegmentation.SubtractPaper(gray, InkSegmentation.LocalMean(gray));
        // Paper far from the digit: near zero everywhere, on the bright and the dark side alike.
        foreach (var (x, y) in new[] { (10, 10), (290, 10), (10, 290), (290, 290), (150, 285) })
            Assert.InRange(contrast[x, y], 0f, 0.05f);
        // Stroke centre (on the bottom bar of the 2): strong contrast even where the paper is dark.
        Assert.True(contrast[200, 230] > 0.2f, $"stroke contrast {contrast[200, 230]:0.00}");
        Assert.True(contrast[100, 230] > 0.5f, $"stroke contrast {contrast[100, 230]:0.00}");
    }

    [Fact]
    public void RuledLinesAreRemovedButDigitStrokesStay()
    {
        var contrast = new Plane(200, 100);
        for (int x = 0; x < 200; x++) { contrast[x, 20] = 0.4f; contrast[x, 60] = 0.4f; } // full-width rules
        for (int x = 40; x < 160; x++) contrast[x, 80] = 0.9f;                               // a long digit bar
        for (int y = 10; y < 90; y++) contrast[100, y] = 0.9f;                               // a stroke crossing the rules
        var cleaned = InkSegmentation.RemoveRuledLines(contrast);
        Assert.Equal(0f, cleaned[10, 20]);
        Assert.Equal(0f, cleaned[190, 60]);
        Assert.Equal(0.9f, cleaned[50, 80]);
        Assert.Equal(0.9f, cleaned[100, 40]);
        Assert.True(cleaned[100, 20] >= 0.45f, "the crossing keeps the stroke's extra contrast");
    }

    [Fact]
    public void SkippingTheOpeningWhereNoRunCoversAWindowNeverChangesTheResult()
    {
        // Reference: the opening computed for both orientations, always.
        static Plane Reference(Plane contrast)
        {
            int w = contrast.Width, h = contrast.Height;
            var lines = new Plane(w, h);
            foreach (bool horizontal in new[] { true, false })
            {
                int along = (int)(0.95 * (horizontal ? w : h)) / 2;
                var thick = horizontal ? Morphology.RectFilter(contrast, 0, 2, max: true) : Morphology.RectFilter(contrast, 2, 0, max: true);
                var eroded = horizontal ? Morphology.RectFilter(thick, along, 0, max: false) : Morphology.RectFilter(thick, 0, along, max: false);
                var opened = horizontal ? Morphology.RectFilter(eroded, along, 0, max: true) : Morphology.RectFilter(eroded, 0, along, max: true);
                for (int i = 0; i < lines.Data.Length; i++) lines.Data[i] = Math.Max(lines.Data[i], opened.Data[i]);
            }
            return new Plane(w, h, contrast.Data.Select((v, i) => Math.Max(0f, v - lines.Data[i])).ToArray());
        }

        var random = new Random(11);
        int unchanged = 0, changed = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            int w = random.Next(8, 90), h = random.Next(8, 90);
            var contrast = new Plane(w, h);
            // Segments around the critical length (half the side), in both directions, some touching a border.
            for (int s = 0; s < random.Next(1, 6); s++)
            {
                bool horizontal = random.Next(2) == 0;
                int side = horizontal ? w : h, length = random.Next(side / 3, side + 1);
                int start = random.Next(0, side - length + 1), at = random.Next(0, horizontal ? h : w);
                float value = (float)random.NextDouble();
                for (int k = start; k < start + length; k++)
                    if (horizontal) contrast[k, at] = value; else contrast[at, k] = value;
            }
            var expected = Reference(contrast);
            Assert.Equal(expected.Data, InkSegmentation.RemoveRuledLines(contrast).Data);
            if (expected.Data.SequenceEqual(contrast.Data)) unchanged++; else changed++;
        }
        Assert.True(unchanged > 5 && changed > 5, $"cases with nothing removed {unchanged}, with lines removed {changed}: both kinds must occur");
    }

    [Theory]
    [InlineData(20, 0, 9, true)]   // from the start: radius + 1 samples suffice
    [InlineData(20, 0, 8, false)]
    [InlineData(20, 10, 19, true)] // to the end: likewise
    [InlineData(20, 11, 19, false)]
    [InlineData(40, 5, 23, true)]  // inside: the whole 2 * radius + 1 window
    [InlineData(40, 5, 22, false)]
    [InlineData(8, 0, 7, true)]    // a line shorter than the window: only a run across all of it
    [InlineData(8, 0, 6, false)]
    public void ARunCoversAWindowOnlyWhenTheErosionWouldBePositive(int length, int from, int to, bool expected)
    {
        const int Radius = 9;
        foreach (bool alongRows in new[] { true, false })
        {
            var plane = alongRows ? new Plane(length, 3) : new Plane(3, length);
            for (int k = from; k <= to; k++)
                if (alongRows) plane[k, 1] = 0.5f; else plane[1, k] = 0.5f;
            Assert.Equal(expected, InkSegmentation.HasRunCoveringAWindow(plane, alongRows, Radius));
            var eroded = alongRows ? Morphology.RectFilter(plane, Radius, 0, max: false) : Morphology.RectFilter(plane, 0, Radius, max: false);
            Assert.Equal(expected, eroded.Data.Any(v => v > 0f));
        }
    }

    [Fact]
    public void OtsuSplitsTwoPopulations()
    {
        var values = Enumerable.Repeat(0.05f, 900).Concat(Enumerable.Repeat(0.8f, 100)).ToArray();
        float t = InkSegmentation.Otsu(values, 0.8f);
        Assert.InRange(t, 0.05f, 0.8f);
        Assert.Equal(100, values.Count(v => v > t));
    }

    [Theory]
    [InlineData(1, 1)] [InlineData(3, 70)] [InlineData(49, 50)] [InlineData(93, 93)] [InlineData(512, 300)] [InlineData(60, 2)]
    public void BorderIndicesAreTheBandOfAFullScanInTheSameOrder(int w, int h)
    {
        int band = Math.Max(1, Math.Min(w, h) / 25);
        var expected = Enumerable.Range(0, w * h).Where(i => i % w < band || i / w < band || i % w >= w - band || i / w >= h - band);
        Assert.Equal(expected, InkSegmentation.BorderIndices(w, h));
    }

    [Fact]
    public void DistanceTransformIsEuclidean()
    {
        var feature = new bool[15 * 11];
        feature[5 * 15 + 7] = true;
        var d = Morphology.DistanceTo(feature, 15, 11);
        Assert.Equal(0f, d[5 * 15 + 7]);
        Assert.Equal(5f, d[(5 + 3) * 15 + 7 + 4], 3);
        Assert.Equal(MathF.Sqrt(49 + 25), d[0 * 15 + 0], 3);
    }

    [Fact]
    public void DistanceTransformMatchesBruteForceExactly()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 40; trial++)
        {
            int w = random.Next(1, 40), h = random.Next(1, 40);
            double density = random.NextDouble() * random.NextDouble(); // mostly sparse, sometimes dense
            var feature = Enumerable.Range(0, w * h).Select(_ => random.NextDouble() < density).ToArray();
            if (!feature.Contains(true)) feature[random.Next(w * h)] = true;
            var d = Morphology.DistanceTo(feature, w, h);
            int cap = random.Next(-1, 8);
            var capped = Morphology.DistanceTo(feature, w, h, cap);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    int best = int.MaxValue;
                    for (int i = 0; i < feature.Length; i++)
                        if (feature[i]) best = Math.Min(best, (i % w - x) * (i % w - x) + (i / w - y) * (i / w - y));
                    Assert.Equal(MathF.Sqrt(best), d[y * w + x]);
                    // Capped: exact below the cap, at least the cap otherwise.
                    if (MathF.Sqrt(best) < cap) Assert.Equal(MathF.Sqrt(best), capped[y * w + x]);
                    else Assert.True(capped[y * w + x] >= cap, $"{capped[y * w + x]} below the cap {cap} (true {MathF.Sqrt(best)})");
                }
        }
        // No feature at all: everything is far away.
        Assert.All(Morphology.DistanceTo(new bool[12], 4, 3), v => Assert.True(v > 1e5f));
    }

    [Fact]
    public void MaxFilterMatchesBruteForce()
    {
        var random = new Random(3);
        var plane = new Plane(23, 17, Enumerable.Range(0, 23 * 17).Select(_ => (float)random.NextDouble()).ToArray());
        var filtered = Morphology.SquareFilter(plane, 3, max: true);
        for (int y = 0; y < 17; y++)
            for (int x = 0; x < 23; x++)
            {
                float expected = float.MinValue;
                for (int dy = -3; dy <= 3; dy++)
                    for (int dx = -3; dx <= 3; dx++)
                        if (x + dx is >= 0 and < 23 && y + dy is >= 0 and < 17) expected = Math.Max(expected, plane[x + dx, y + dy]);
                Assert.Equal(expected, filtered[x, y]);
            }
    }

    [Fact]
    public void Ink_that_is_only_single_pixels_is_specks_not_an_exception()
    {
        // Found by the preprocessor's property test (a 3x9 JPEG): every seeded piece one pixel, so none is kept.
        var contrast = new Plane(20, 20);
        foreach (var (x, y) in new[] { (3, 3), (10, 7), (16, 15) }) contrast.Data[y * 20 + x] = 1f;
        Assert.Null(InkSegmentation.Segment(contrast, darkInk: true, fromAlpha: false, out var reason));
        Assert.Equal(InkSegmentation.SpecksReason, reason);
    }
}
