using System.Numerics;
using System.Runtime.InteropServices;
using SkiaSharp;

namespace HandWrite.Core.Imaging;

/// <summary>Where the ink is in the working image: ink contrast (0 = paper), the pixels kept as the digit.</summary>
internal sealed class InkLayer
{
    /// <summary>Ink strength above the local paper level, 0 outside the kept digit components.</summary>
    public required Plane Contrast { get; init; }
    /// <summary>Contrast level that separates ink from paper (Otsu); half of it bounds the anti-aliased rim.</summary>
    public required float Threshold { get; init; }
    /// <summary>Bounding box of the kept ink, inclusive-exclusive, working coordinates.</summary>
    public required SKRectI Bounds { get; init; }
    /// <summary>True when ink was darker than the paper in the source (after alpha handling).</summary>
    public required bool DarkInk { get; init; }
    public required bool FromAlpha { get; init; }
    /// <summary>Mean stroke width of the ink above the Otsu level, in working pixels.</summary>
    public required float StrokeWidth { get; init; }
    /// <summary>Component id of every pixel above the rim level (0 = none); ids index <see cref="Components"/>' Id.</summary>
    public int[] Labels { get; init; } = [];
    /// <summary>The kept components (the digit's pieces, or a whole line's for a number).</summary>
    public IReadOnlyList<InkSegmentation.Component> Components { get; init; } = [];
}

internal static class InkSegmentation
{
    internal const string UniformReason = "The image is blank (uniform colour).";
    internal const string NoiseReason = "No digit found: the image looks like noise or texture, not strokes on a plain background.";
    internal const string SpecksReason = "No digit found: there are only specks too small to be a digit.";

    /// <summary>Below this ink contrast (0..1 luminance) an image counts as uniform.</summary>
    internal const float MinContrast = 0.08f;
    /// <summary>Ink can be a large part of a tight crop of a bold digit, but never most of the picture.</summary>
    internal const float MaxInkFraction = 0.70f;
    /// <summary>Above this ink fraction the ink must form strokes: a mask this dense that is nearly all
    /// boundary (mean width under <see cref="MinStrokeWidthWhenDense"/> px) is noise or texture.</summary>
    internal const float DenseInkFraction = 0.20f;
    internal const float MinStrokeWidthWhenDense = 2.5f;
    /// <summary>A component smaller than this fraction of the largest one is a speck, not part of the digit.</summary>
    internal const float SpeckFractionOfLargest = 0.08f;
    internal const int MaxDigitComponents = 12;
    /// <summary>A line of digits has a dozen digits at most, each in a few pieces.</summary>
    internal const int MaxNumberComponents = 100;

    /// <summary>Finds the digit's ink, or returns null with a reason when there is none.</summary>
    /// <param name="maxComponents">More kept pieces than this is noise (<see cref="MaxNumberComponents"/> for a line of digits).</param>
    public static InkLayer? Extract(SKBitmap workingRgbaPremul, out string? blankReason, int maxComponents = MaxDigitComponents) =>
        Extract(ReadChannels(workingRgbaPremul), out blankReason, maxComponents);

    /// <summary>Finds the digit's ink in channels from <see cref="ReadChannels"/>.</summary>
    public static InkLayer? Extract((Plane Luminance, Plane Alpha) channels, out string? blankReason, int maxComponents = MaxDigitComponents)
    {
        var (luminance, alpha) = channels;
        Plane contrast;
        bool darkInk, fromAlpha;
        if (AlphaCarriesDrawing(alpha))
        {
            // Strokes on a transparent background: whatever their colour, where there is paint there is ink.
            contrast = alpha;
            darkInk = false;
            fromAlpha = true;
        }
        else
        {
            var gray = CompositeOverPaper(luminance, alpha);
            var local = LocalMean(gray);
            darkInk = IsDarkInk(gray, local);
            if (!darkInk)
                for (int i = 0; i < gray.Data.Length; i++) { gray.Data[i] = 1f - gray.Data[i]; local.Data[i] = 1f - local.Data[i]; }
            contrast = RemoveRuledLines(SubtractPaper(gray, local));
            fromAlpha = false;
        }
        return Segment(contrast, darkInk, fromAlpha, out blankReason, maxComponents);
    }

    /// <summary>
    /// Premultiplied luminance (Rec. 601 weights) and alpha, both 0..1. With <paramref name="factor"/> above 1,
    /// each output pixel is the mean of a factor x factor block (smaller at the right and bottom edges): an
    /// area-averaging shrink by a whole factor, done while reading.
    /// </summary>
    internal static (Plane Luminance, Plane Alpha) ReadChannels(SKBitmap bitmap, int factor = 1)
    {
        if (bitmap.ColorType != SKColorType.Rgba8888 || bitmap.AlphaType != SKAlphaType.Premul)
            throw new ArgumentException("Expected a premultiplied RGBA8888 bitmap.", nameof(bitmap));
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        var bytes = bitmap.GetPixelSpan();
        int w = bitmap.Width, h = bitmap.Height, rowBytes = bitmap.RowBytes;
        int outWidth = (w + factor - 1) / factor, outHeight = (h + factor - 1) / factor;
        var luminance = new Plane(outWidth, outHeight);
        var alpha = new Plane(outWidth, outHeight);
        if (factor == 1)
        {
            for (int y = 0; y < h; y++)
                AddRowChannels(bytes.Slice(y * rowBytes, 4 * w), luminance.Data.AsSpan(y * w, w), alpha.Data.AsSpan(y * w, w));
            return (luminance, alpha);
        }
        var rowLuminance = new float[w];
        var rowAlpha = new float[w];
        for (int outY = 0; outY < outHeight; outY++)
        {
            Array.Clear(rowLuminance);
            Array.Clear(rowAlpha);
            int y0 = outY * factor, y1 = Math.Min(h, y0 + factor);
            for (int y = y0; y < y1; y++) AddRowChannels(bytes.Slice(y * rowBytes, 4 * w), rowLuminance, rowAlpha);
            for (int outX = 0; outX < outWidth; outX++)
            {
                int x0 = outX * factor, x1 = Math.Min(w, x0 + factor);
                float sumLuminance = 0, sumAlpha = 0;
                for (int x = x0; x < x1; x++) { sumLuminance += rowLuminance[x]; sumAlpha += rowAlpha[x]; }
                float perPixel = 1f / ((x1 - x0) * (y1 - y0));
                luminance.Data[outY * outWidth + outX] = sumLuminance * perPixel;
                alpha.Data[outY * outWidth + outX] = sumAlpha * perPixel;
            }
        }
        return (luminance, alpha);
    }

    /// <summary>Adds one row's luminance and alpha (0..1) to <paramref name="luminance"/> and <paramref name="alpha"/>;
    /// eight pixels at a time where the CPU has vectors, with the same arithmetic as the scalar tail.</summary>
    private static void AddRowChannels(ReadOnlySpan<byte> rgba, Span<float> luminance, Span<float> alpha)
    {
        var pixels = MemoryMarshal.Cast<byte, int>(rgba);
        int n = luminance.Length, x = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var low = new Vector<int>(0xFF);
            var red = new Vector<float>(0.299f);
            var green = new Vector<float>(0.587f);
            var blue = new Vector<float>(0.114f);
            var full = new Vector<float>(255f);
            for (; x <= n - Vector<int>.Count; x += Vector<int>.Count)
            {
                var p = new Vector<int>(pixels[x..]);
                var r = Vector.ConvertToSingle(p & low);
                var g = Vector.ConvertToSingle(Vector.ShiftRightLogical(p, 8) & low);
                var b = Vector.ConvertToSingle(Vector.ShiftRightLogical(p, 16) & low);
                var a = Vector.ConvertToSingle(Vector.ShiftRightLogical(p, 24));
                (new Vector<float>(luminance[x..]) + (red * r + green * g + blue * b) / full).CopyTo(luminance[x..]);
                (new Vector<float>(alpha[x..]) + a / full).CopyTo(alpha[x..]);
            }
        }
        for (; x < n; x++)
        {
            int p = 4 * x;
            luminance[x] += (0.299f * rgba[p] + 0.587f * rgba[p + 1] + 0.114f * rgba[p + 2]) / 255f;
            alpha[x] += rgba[p + 3] / 255f;
        }
    }

    /// <summary>The drawing lives in the alpha channel when the background (the border) is mostly
    /// transparent and the opaque part is strokes, not a sheet (a cut-out of paper covers most of the picture).</summary>
    internal static bool AlphaCarriesDrawing(Plane alpha)
    {
        int transparent = 0, total = 0;
        foreach (int i in BorderIndices(alpha.Width, alpha.Height))
        {
            total++;
            if (alpha.Data[i] < 0.5f) transparent++;
        }
        if (total == 0 || transparent * 2 <= total) return false;
        int opaque = alpha.Data.Count(a => a >= 0.5f);
        return opaque <= MaxOpaqueFractionForStrokes * alpha.Data.Length;
    }

    /// <summary>Strokes on a transparent layer never cover more than this fraction of the picture.</summary>
    internal const float MaxOpaqueFractionForStrokes = 0.6f;

    /// <summary>Transparent pixels take the paper's colour: the median luminance of the opaque pixels.</summary>
    internal static Plane CompositeOverPaper(Plane premulLuminance, Plane alpha)
    {
        var histogram = new int[256];
        int opaque = 0;
        for (int i = 0; i < alpha.Data.Length; i++)
            if (alpha.Data[i] > 0.9f) { histogram[Math.Clamp((int)(premulLuminance.Data[i] / alpha.Data[i] * 255f + 0.5f), 0, 255)]++; opaque++; }
        float paper = 1f;
        for (int level = 0, seen = 0; level < 256 && opaque > 0; level++)
            if ((seen += histogram[level]) * 2 >= opaque) { paper = level / 255f; break; }
        var gray = new Plane(alpha.Width, alpha.Height);
        for (int i = 0; i < gray.Data.Length; i++)
            gray.Data[i] = Math.Clamp(premulLuminance.Data[i] + (1f - alpha.Data[i]) * paper, 0f, 1f);
        return gray;
    }

    /// <summary>Large-scale brightness (Gaussian, sigma an eighth of the short side): lighting, not strokes.</summary>
    internal static Plane LocalMean(Plane gray) => gray.Blur(Math.Max(2f, Math.Min(gray.Width, gray.Height) / 8f));

    /// <summary>
    /// Polarity from the shape of the histogram after removing large-scale lighting: ink is the minority,
    /// so its deviations from the local paper level are few and large, which makes the skew point at it.
    /// Paper noise and lighting gradients are roughly symmetric and cancel; no fixed threshold is involved.
    /// </summary>
    internal static bool IsDarkInk(Plane gray, Plane local)
    {
        double third = 0;
        for (int i = 0; i < gray.Data.Length; i++)
        {
            double t = gray.Data[i] - local.Data[i];
            third += t * t * t;
        }
        return third <= 0;
    }

    /// <summary>
    /// Ink contrast for dark ink: paper level estimated by a morphological closing (removes strokes narrower
    /// than the window) smoothed by a blur, so uneven lighting and shadows are subtracted away. The window
    /// follows the strokes: just wide enough to close over them, since a wider one lets curved lighting and
    /// the picture's edges bias the paper estimate.
    /// </summary>
    internal static Plane SubtractPaper(Plane gray, Plane local)
    {
        int minSide = Math.Min(gray.Width, gray.Height);
        float strokeWidth = RoughStrokeWidth(gray, local);
        int radius = Math.Clamp((int)Math.Ceiling(Math.Max(1.5f * strokeWidth + 2f, minSide / 20f)), 4, Math.Max(4, minSide / 2));
        var closed = Morphology.Closing(gray, radius);
        var paper = closed.Blur(radius / 2f);
        var contrast = new Plane(gray.Width, gray.Height);
        for (int i = 0; i < contrast.Data.Length; i++)
            contrast.Data[i] = Math.Max(0f, Math.Max(paper.Data[i], closed.Data[i]) - gray.Data[i]);
        return contrast;
    }

    /// <summary>Mean stroke width of the pixels clearly darker than their surroundings (Otsu on the
    /// difference to a wide blur): a rough first look that only sizes the paper window.</summary>
    internal static float RoughStrokeWidth(Plane gray, Plane local)
    {
        var darker = new float[gray.Data.Length];
        float max = 0f;
        for (int i = 0; i < darker.Length; i++) max = Math.Max(max, darker[i] = Math.Max(0f, local.Data[i] - gray.Data[i]));
        if (max <= 0f) return 0f;
        return StrokeMetrics.Measure(Above(darker, Otsu(darker, max)), gray.Width, gray.Height).Width;
    }

    /// <summary>
    /// Ruled or squared paper: straight lines crossing (nearly) the whole sheet are paper, not ink. Found by
    /// an opening with a line as long as 95% of the sheet (after a small dilation across the line, so a
    /// slightly tilted line still qualifies) and subtracted. Digit strokes are never that long.
    /// </summary>
    internal static Plane RemoveRuledLines(Plane contrast)
    {
        int w = contrast.Width, h = contrast.Height;
        var lines = new Plane(w, h);
        foreach (bool horizontal in new[] { true, false })
        {
            int along = (int)(0.95 * (horizontal ? w : h)) / 2, across = 2;
            var thick = horizontal ? Morphology.RectFilter(contrast, 0, across, max: true) : Morphology.RectFilter(contrast, across, 0, max: true);
            // The erosion is positive only where a run of positive values covers its whole (border-clipped)
            // window; without such a run the opening is zero everywhere, so skip it (clean drawings, most pictures).
            if (!HasRunCoveringAWindow(thick, horizontal, along)) continue;
            var eroded = horizontal ? Morphology.RectFilter(thick, along, 0, max: false) : Morphology.RectFilter(thick, 0, along, max: false);
            var opened = horizontal ? Morphology.RectFilter(eroded, along, 0, max: true) : Morphology.RectFilter(eroded, 0, along, max: true);
            for (int i = 0; i < lines.Data.Length; i++) lines.Data[i] = Math.Max(lines.Data[i], opened.Data[i]);
        }
        var result = new Plane(w, h);
        for (int i = 0; i < result.Data.Length; i++) result.Data[i] = Math.Max(0f, contrast.Data[i] - lines.Data[i]);
        return result;
    }

    /// <summary>
    /// True when some row (or column) has a run of values above 0 that covers a whole window of
    /// 2*<paramref name="radius"/>+1 samples, clipped at the ends of the line: a run from either end needs
    /// radius+1 samples, any other run 2*radius+1. Exactly where the erosion with that window is positive.
    /// </summary>
    internal static bool HasRunCoveringAWindow(Plane plane, bool alongRows, int radius)
    {
        int w = plane.Width;
        int lines = alongRows ? plane.Height : w, count = alongRows ? w : plane.Height;
        int step = alongRows ? 1 : w;
        var data = plane.Data;
        for (int line = 0; line < lines; line++)
        {
            int first = alongRows ? line * w : line;
            int runStart = 0;
            for (int k = 0; k <= count; k++)
            {
                if (k < count && data[first + k * step] > 0f) continue;
                // The run is [runStart, k - 1].
                int last = k - 1;
                if (last >= runStart
                    && ((runStart == 0 && last >= Math.Min(count - 1, radius))
                        || (last == count - 1 && runStart <= Math.Max(0, count - 1 - radius))
                        || last - runStart >= 2 * radius))
                    return true;
                runStart = k + 1;
            }
        }
        return false;
    }

    internal static InkLayer? Segment(Plane contrast, bool darkInk, bool fromAlpha, out string? blankReason, int maxComponents = MaxDigitComponents)
    {
        int w = contrast.Width, h = contrast.Height, n = w * h;
        float maxContrast = Max(contrast.Data);
        if (maxContrast < MinContrast) { blankReason = UniformReason; return null; }

        float threshold = Otsu(contrast.Data, maxContrast);
        float rim = threshold / 2f;
        var seeds = StrokeMetrics.Measure(Above(contrast.Data, threshold), w, h);
        float inkFraction = seeds.Area / (float)n;
        if (inkFraction > MaxInkFraction || (inkFraction > DenseInkFraction && seeds.Width < MinStrokeWidthWhenDense))
        {
            blankReason = NoiseReason;
            return null;
        }

        // Hysteresis: components grow over the rim level (so faint anti-aliased joins hold a thin line
        // together) but must contain a pixel above the Otsu level.
        var labels = new int[n];
        var components = LabelComponents(contrast.Data, w, h, rim, threshold, labels);
        var seeded = components.Where(c => c.Seeded).ToList();
        if (seeded.Count == 0) { blankReason = UniformReason; return null; }
        // The sheet's edge, a table or a shadow band reaching across the picture from its border is not
        // part of the digit, unless what is left is only specks (then the digit itself fills the picture).
        var inside = seeded.Where(c => !IsFrame(c, w, h)).ToList();
        if (inside.Count > 0 && inside.Max(c => c.Area) >= SpeckFractionOfLargest * seeded.Max(c => c.Area)) seeded = inside;
        int largest = seeded.Max(c => c.Area);
        var kept = seeded.Where(c => c.Area >= Math.Max(2, SpeckFractionOfLargest * largest)).ToList();
        // Every piece a single pixel (a tiny or noisy picture): nothing but specks.
        if (kept.Count == 0) { blankReason = SpecksReason; return null; }
        if (kept.Count > maxComponents) { blankReason = NoiseReason; return null; }

        var bounds = kept.Select(c => c.Bounds).Aggregate((a, b) => SKRectI.Union(a, b));
        int minExtent = Math.Max(4, (int)Math.Ceiling(0.03 * Math.Max(w, h)));
        if (Math.Max(bounds.Width, bounds.Height) < minExtent) { blankReason = SpecksReason; return null; }

        var keepIds = kept.Select(c => c.Id).ToHashSet();
        var digit = KeepWithRim(contrast, labels, keepIds.Contains);

        blankReason = null;
        return new InkLayer
        {
            Contrast = digit, Threshold = threshold, Bounds = bounds, DarkInk = darkInk, FromAlpha = fromAlpha,
            StrokeWidth = seeds.Width, Labels = labels, Components = kept,
        };
    }

    /// <summary>The contrast of the pixels whose owner is kept plus a 1 px rim of their soft edge; everything
    /// else is background, including any pixel owned by something not kept (a neighbouring digit).</summary>
    internal static Plane KeepWithRim(Plane contrast, int[] owners, Func<int, bool> isKept)
    {
        int n = contrast.Data.Length;
        // One call per owner, not per pixel.
        int largestOwner = 0;
        foreach (int owner in owners) largestOwner = Math.Max(largestOwner, owner);
        var keptOwner = new bool[largestOwner + 1];
        for (int owner = 1; owner <= largestOwner; owner++) keptOwner[owner] = isKept(owner);
        var keep = new Plane(contrast.Width, contrast.Height);
        for (int i = 0; i < n; i++) if (keptOwner[owners[i]]) keep.Data[i] = 1f;
        keep = Morphology.SquareFilter(keep, 1, max: true);
        var result = new Plane(contrast.Width, contrast.Height);
        for (int i = 0; i < n; i++)
            if (owners[i] == 0 || keptOwner[owners[i]]) result.Data[i] = contrast.Data[i] * keep.Data[i];
        return result;
    }

    /// <summary>Touches the border and spans at least 90% of the picture's width or height.</summary>
    internal static bool IsFrame(Component c, int w, int h)
    {
        var b = c.Bounds;
        bool touches = b.Left == 0 || b.Top == 0 || b.Right == w || b.Bottom == h;
        return touches && (b.Width >= 0.9 * w || b.Height >= 0.9 * h);
    }

    internal sealed record Component(int Id, int Area, bool Seeded, SKRectI Bounds);

    /// <summary>8-connected components of pixels above <paramref name="low"/>.</summary>
    internal static List<Component> LabelComponents(float[] values, int w, int h, float low, float high, int[] labels)
    {
        var result = new List<Component>();
        var stack = new int[values.Length];
        int next = 0;
        for (int start = 0; start < values.Length; start++)
        {
            if (labels[start] != 0 || values[start] <= low) continue;
            int id = ++next, area = 0, top = 0;
            bool seeded = false;
            int x0 = int.MaxValue, y0 = int.MaxValue, x1 = -1, y1 = -1;
            labels[start] = id;
            stack[top++] = start;
            while (top > 0)
            {
                int p = stack[--top];
                int py = p / w, px = p - py * w;
                area++;
                seeded |= values[p] > high;
                x0 = Math.Min(x0, px); x1 = Math.Max(x1, px); y0 = Math.Min(y0, py); y1 = Math.Max(y1, py);
                int left = px > 0 ? -1 : 0, right = px < w - 1 ? 1 : 0;
                for (int ny = Math.Max(0, py - 1), yEnd = Math.Min(h - 1, py + 1); ny <= yEnd; ny++)
                    for (int q = ny * w + px + left, qEnd = ny * w + px + right; q <= qEnd; q++)
                        if (labels[q] == 0 && values[q] > low) { labels[q] = id; stack[top++] = q; }
            }
            result.Add(new Component(id, area, seeded, new SKRectI(x0, y0, x1 + 1, y1 + 1)));
        }
        return result;
    }

    /// <summary>Which values are above <paramref name="threshold"/>.</summary>
    internal static bool[] Above(float[] values, float threshold)
    {
        var result = new bool[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i] > threshold;
        return result;
    }

    internal static float Max(float[] values)
    {
        float max = float.NegativeInfinity;
        foreach (float v in values) max = Math.Max(max, v);
        return max;
    }

    /// <summary>Otsu's threshold over [0, max] with 256 bins.</summary>
    internal static float Otsu(float[] values, float max)
    {
        const int Bins = 256;
        var histogram = new long[Bins];
        foreach (float v in values) histogram[Math.Clamp((int)(v / max * (Bins - 1)), 0, Bins - 1)]++;
        double total = values.Length, sumAll = 0;
        for (int i = 0; i < Bins; i++) sumAll += i * (double)histogram[i];
        double weightBack = 0, sumBack = 0, best = -1;
        int bestBin = 0;
        for (int i = 0; i < Bins - 1; i++)
        {
            weightBack += histogram[i];
            if (weightBack == 0) continue;
            double weightFore = total - weightBack;
            if (weightFore == 0) break;
            sumBack += i * (double)histogram[i];
            double meanBack = sumBack / weightBack, meanFore = (sumAll - sumBack) / weightFore;
            double between = weightBack * weightFore * (meanBack - meanFore) * (meanBack - meanFore);
            if (between > best) { best = between; bestBin = i; }
        }
        // Upper edge of the last background bin: every value binned as background is <= the threshold.
        return (bestBin + 1f) / (Bins - 1) * max;
    }

    internal static IEnumerable<int> BorderIndices(int w, int h)
    {
        int band = Math.Max(1, Math.Min(w, h) / 25);
        for (int y = 0; y < h; y++)
        {
            bool wholeRow = y < band || y >= h - band;
            // Row-major like a full scan with the band test, without visiting the interior.
            for (int x = 0; x < (wholeRow ? w : Math.Min(band, w)); x++) yield return y * w + x;
            if (!wholeRow)
                for (int x = Math.Max(w - band, band); x < w; x++) yield return y * w + x;
        }
    }

}
