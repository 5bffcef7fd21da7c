using System.Buffers;
using System.Numerics;

namespace HandWrite.Core.Imaging;

/// <summary>A single-channel float image, row-major; the working format of the pipeline.</summary>
internal sealed class Plane
{
    public int Width { get; }
    public int Height { get; }
    public float[] Data { get; }

    public Plane(int width, int height, float[]? data = null)
    {
        Width = width;
        Height = height;
        Data = data ?? new float[width * height];
        if (Data.Length != width * height) throw new ArgumentException("Plane data size mismatch.", nameof(data));
    }

    public float this[int x, int y]
    {
        get => Data[y * Width + x];
        set => Data[y * Width + x] = value;
    }

    public Plane Clone() => new(Width, Height, (float[])Data.Clone());

    /// <summary>Rows become columns: lets a filter written for columns (whole rows per vector step) filter rows.</summary>
    public Plane Transpose()
    {
        var result = new Plane(Height, Width, GC.AllocateUninitializedArray<float>(Width * Height));
        // In tiles, so both the rows read and the columns written stay in the cache.
        const int Tile = 16;
        for (int y0 = 0; y0 < Height; y0 += Tile)
            for (int x0 = 0; x0 < Width; x0 += Tile)
                for (int y = y0, yEnd = Math.Min(Height, y0 + Tile); y < yEnd; y++)
                    for (int x = x0, xEnd = Math.Min(Width, x0 + Tile); x < xEnd; x++)
                        result.Data[x * Height + y] = Data[y * Width + x];
        return result;
    }

    public Plane Crop(int x0, int y0, int width, int height)
    {
        // Areas outside this plane read as 0 (background), so callers may pad freely.
        var result = new Plane(width, height);
        for (int y = 0; y < height; y++)
        {
            int sy = y0 + y;
            if (sy < 0 || sy >= Height) continue;
            for (int x = 0; x < width; x++)
            {
                int sx = x0 + x;
                if (sx >= 0 && sx < Width) result.Data[y * width + x] = Data[sy * Width + sx];
            }
        }
        return result;
    }

    /// <summary>
    /// Separable resampling: exact area averaging along an axis that shrinks (a thin stroke fades rather
    /// than vanishes), Mitchell cubic along an axis that grows (smooth contours without ringing), edges
    /// clamped. Managed code: on planes this small, converting to and from a Skia bitmap costs more than the work.
    /// </summary>
    public Plane Resize(int width, int height)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), "Sizes must be positive.");
        if (width == Width && height == Height) return Clone();
        var rowsResized = new Plane(width, Height);
        var alongX = Taps.For(Width, width);
        for (int y = 0; y < Height; y++)
        {
            var source = Data.AsSpan(y * Width, Width);
            var target = rowsResized.Data.AsSpan(y * width, width);
            for (int i = 0; i < width; i++)
            {
                float sum = 0;
                for (int k = i * alongX.Count, end = k + alongX.Count; k < end; k++) sum += alongX.Weight[k] * source[alongX.Index[k]];
                target[i] = sum;
            }
        }
        // Columns a whole row at a time (vectors across the row, memory in order), same arithmetic per sample.
        var result = new Plane(width, height);
        var alongY = Taps.For(Height, height);
        for (int i = 0; i < height; i++)
        {
            var target = result.Data.AsSpan(i * width, width);
            for (int k = i * alongY.Count, end = k + alongY.Count; k < end; k++)
                AddScaled(target, rowsResized.Data.AsSpan(alongY.Index[k] * width, width), alongY.Weight[k]);
        }
        return result;
    }

    /// <summary>target += weight * source, element by element.</summary>
    private static void AddScaled(Span<float> target, ReadOnlySpan<float> source, float weight)
    {
        int x = 0;
        var w = new Vector<float>(weight);
        for (; x <= target.Length - Vector<float>.Count; x += Vector<float>.Count)
            (new Vector<float>(target[x..]) + w * new Vector<float>(source[x..])).CopyTo(target[x..]);
        for (; x < target.Length; x++) target[x] += weight * source[x];
    }

    /// <summary>The source samples (edge-clamped) and weights of every output sample along one axis, the same
    /// number per output (unused taps weigh 0).</summary>
    private sealed record Taps(int Count, int[] Index, float[] Weight)
    {
        public static Taps For(int sourceLength, int targetLength)
        {
            double scale = (double)sourceLength / targetLength;
            // Area averaging touches at most ceil(scale) + 1 source samples; the cubic always 4.
            int count = scale >= 1 ? (int)Math.Ceiling(scale) + 1 : 4;
            var index = new int[targetLength * count];
            var weight = new float[targetLength * count];
            for (int i = 0; i < targetLength; i++)
            {
                int at = i * count;
                if (scale >= 1)
                {
                    // Output i covers source [i*scale, (i+1)*scale): each source pixel weighs by its overlap.
                    double from = i * scale, to = from + scale;
                    int first = (int)Math.Floor(from), last = Math.Min(sourceLength - 1, (int)Math.Ceiling(to) - 1);
                    for (int k = first; k <= last; k++)
                    {
                        index[at + k - first] = k;
                        weight[at + k - first] = (float)((Math.Min(to, k + 1) - Math.Max(from, k)) / scale);
                    }
                    for (int k = last - first + 1; k < count; k++) index[at + k] = last;
                }
                else
                {
                    double centre = (i + 0.5) * scale - 0.5;
                    int first = (int)Math.Floor(centre) - 1;
                    double sum = 0;
                    for (int k = 0; k < 4; k++) sum += weight[at + k] = (float)Mitchell(centre - (first + k));
                    for (int k = 0; k < 4; k++)
                    {
                        weight[at + k] = (float)(weight[at + k] / sum);
                        index[at + k] = Math.Clamp(first + k, 0, sourceLength - 1);
                    }
                }
            }
            return new Taps(count, index, weight);
        }
    }

    /// <summary>Mitchell-Netravali cubic, B = C = 1/3.</summary>
    private static double Mitchell(double x)
    {
        x = Math.Abs(x);
        const double B = 1.0 / 3, C = 1.0 / 3;
        if (x < 1) return ((12 - 9 * B - 6 * C) * x * x * x + (-18 + 12 * B + 6 * C) * x * x + (6 - 2 * B)) / 6;
        if (x < 2) return ((-B - 6 * C) * x * x * x + (6 * B + 30 * C) * x * x + (-12 * B - 48 * C) * x + (8 * B + 24 * C)) / 6;
        return 0;
    }

    /// <summary>
    /// Gaussian blur approximated by three box blurs (as Skia and browsers do for large sigmas), edges
    /// clamped so borders are not darkened. O(1) per pixel whatever the sigma.
    /// </summary>
    public Plane Blur(float sigma)
    {
        var result = Clone();
        var radii = BoxRadii(sigma);
        var padded = new float[Width + 2 * radii.Max() + 1];
        var rows = ArrayPool<float>.Shared.Rent(Data.Length);
        var sums = new double[Width];
        foreach (int radius in radii)
        {
            if (radius == 0) continue;
            for (int y = 0; y < Height; y++) BoxRow(result.Data.AsSpan(y * Width, Width), radius, padded);
            BoxColumns(result.Data, Width, Height, radius, rows, sums);
        }
        ArrayPool<float>.Shared.Return(rows);
        return result;
    }

    /// <summary>In-place running mean over 2*radius+1 samples of one row, edges clamped (the row is copied
    /// between copies of its end samples, so the loop needs no bounds logic).</summary>
    private static void BoxRow(Span<float> row, int radius, float[] padded)
    {
        int length = row.Length;
        padded.AsSpan(0, radius).Fill(row[0]);
        row.CopyTo(padded.AsSpan(radius));
        padded.AsSpan(radius + length, radius + 1).Fill(row[length - 1]);
        double sum = 0;
        for (int k = 0; k <= 2 * radius; k++) sum += padded[k];
        float norm = 1f / (2 * radius + 1);
        for (int i = 0; i < length; i++)
        {
            row[i] = (float)(sum * norm);
            sum += padded[i + 2 * radius + 1] - padded[i];
        }
    }

    /// <summary>The same running mean down every column at once, row by row (memory in order); the same
    /// arithmetic per column as <see cref="BoxRow"/>.</summary>
    private static void BoxColumns(float[] data, int width, int height, int radius, float[] source, double[] sums)
    {
        Array.Copy(data, source, width * height);
        Array.Clear(sums);
        for (int k = -radius; k <= radius; k++)
        {
            int row = Math.Clamp(k, 0, height - 1) * width;
            for (int x = 0; x < width; x++) sums[x] += source[row + x];
        }
        float norm = 1f / (2 * radius + 1);
        var normVector = new Vector<double>(norm);
        for (int y = 0; y < height; y++)
        {
            int at = y * width, add = Math.Min(y + radius + 1, height - 1) * width, remove = Math.Max(y - radius, 0) * width;
            int x = 0;
            // Eight columns at a time: the float difference widened to double, exactly as the scalar loop computes it.
            for (; x <= width - Vector<float>.Count; x += Vector<float>.Count)
            {
                var low = new Vector<double>(sums, x);
                var high = new Vector<double>(sums, x + Vector<double>.Count);
                Vector.Narrow(low * normVector, high * normVector).CopyTo(data, at + x);
                Vector.Widen(new Vector<float>(source, add + x) - new Vector<float>(source, remove + x), out var lowDelta, out var highDelta);
                (low + lowDelta).CopyTo(sums, x);
                (high + highDelta).CopyTo(sums, x + Vector<double>.Count);
            }
            for (; x < width; x++)
            {
                data[at + x] = (float)(sums[x] * norm);
                sums[x] += source[add + x] - source[remove + x];
            }
        }
    }

    /// <summary>Radii of three boxes whose combined variance is sigma^2: the two odd widths around the
    /// ideal one, mixed so the total matches (Kovesi, "Fast almost-Gaussian filtering", 2010).</summary>
    internal static int[] BoxRadii(float sigma)
    {
        const int Passes = 3;
        double ideal = Math.Sqrt(12.0 * sigma * sigma / Passes + 1);
        int lower = (int)Math.Floor(ideal);
        if (lower % 2 == 0) lower--;
        lower = Math.Max(1, lower);
        int upper = lower + 2;
        // Box of width w has variance (w^2 - 1) / 12; m boxes of the lower width, the rest the upper.
        int m = (int)Math.Round((12.0 * sigma * sigma - Passes * lower * lower - 4.0 * Passes * lower - 3.0 * Passes) / (-4.0 * lower - 4));
        m = Math.Clamp(m, 0, Passes);
        return Enumerable.Range(0, Passes).Select(i => (i < m ? lower : upper) / 2).ToArray();
    }

}
