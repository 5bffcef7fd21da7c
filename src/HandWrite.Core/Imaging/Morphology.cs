using System.Buffers;
using System.Numerics;

namespace HandWrite.Core.Imaging;

/// <summary>Grey-level and binary morphology on planes: no Skia call does these.</summary>
internal static class Morphology
{
    /// <summary>Max (dilate) or min (erode) over a square window of side 2*radius+1, separable, O(n).</summary>
    public static Plane SquareFilter(Plane source, int radius, bool max) => RectFilter(source, radius, radius, max);

    /// <summary>Max or min over a (2*radiusX+1) x (2*radiusY+1) window; a zero radius skips that axis.</summary>
    public static Plane RectFilter(Plane source, int radiusX, int radiusY, bool max)
    {
        // Columns are filtered a whole row at a time (vector max/min over rows, memory in order); rows by
        // filtering the columns of the transpose. Max and min are exact, so the order does not matter.
        var result = source.Clone();
        if (radiusY > 0) FilterColumns(result, radiusY, max);
        if (radiusX is > 0 and <= MaxDirectRadius)
        {
            // A narrow window along rows: its few taps directly, vectors over shifted copies of each row.
            if (max) FilterRowsDirect<MaxOf>(result, radiusX); else FilterRowsDirect<MinOf>(result, radiusX);
        }
        else if (radiusX > 0)
        {
            var transposed = result.Transpose();
            FilterColumns(transposed, radiusX, max);
            result = transposed.Transpose();
        }
        return result;
    }

    /// <summary>Grey-level closing (max, then min) over a square window of side 2*radius+1: removes dark
    /// features narrower than the window. Same result as two <see cref="SquareFilter"/> calls, with half the transposes.</summary>
    public static Plane Closing(Plane source, int radius)
    {
        var result = source.Clone();
        FilterColumns(result, radius, max: true);
        var transposed = result.Transpose();
        FilterColumns(transposed, radius, max: true);
        FilterColumns(transposed, radius, max: false);
        result = transposed.Transpose();
        FilterColumns(result, radius, max: false);
        return result;
    }

    /// <summary>Windows along rows up to this radius are filtered tap by tap (no transpose).</summary>
    private const int MaxDirectRadius = 2;

    private static void FilterRowsDirect<T>(Plane plane, int radius) where T : IPick
    {
        int w = plane.Width;
        var padded = ArrayPool<float>.Shared.Rent(w + 2 * radius);
        for (int y = 0; y < plane.Height; y++)
        {
            var row = plane.Data.AsSpan(y * w, w);
            padded.AsSpan(0, radius).Fill(T.Fill);
            row.CopyTo(padded.AsSpan(radius));
            padded.AsSpan(radius + w, radius).Fill(T.Fill);
            int x = 0;
            for (; x <= w - Vector<float>.Count; x += Vector<float>.Count)
            {
                var m = new Vector<float>(padded, x);
                for (int k = 1; k <= 2 * radius; k++) m = T.Pick(m, new Vector<float>(padded, x + k));
                m.CopyTo(row[x..]);
            }
            for (; x < w; x++)
            {
                float m = padded[x];
                for (int k = 1; k <= 2 * radius; k++) m = T.Pick(m, padded[x + k]);
                row[x] = m;
            }
        }
        ArrayPool<float>.Shared.Return(padded);
    }

    private static void FilterColumns(Plane plane, int radius, bool max)
    {
        if (max) FilterColumns<MaxOf>(plane, radius);
        else FilterColumns<MinOf>(plane, radius);
    }

    private interface IPick
    {
        static abstract float Fill { get; }
        static abstract float Pick(float a, float b);
        static abstract Vector<float> Pick(Vector<float> a, Vector<float> b);
    }
    private readonly struct MaxOf : IPick
    {
        public static float Fill => float.NegativeInfinity;
        public static float Pick(float a, float b) => a > b ? a : b;
        public static Vector<float> Pick(Vector<float> a, Vector<float> b) => Vector.Max(a, b);
    }
    private readonly struct MinOf : IPick
    {
        public static float Fill => float.PositiveInfinity;
        public static float Pick(float a, float b) => a < b ? a : b;
        public static Vector<float> Pick(Vector<float> a, Vector<float> b) => Vector.Min(a, b);
    }

    /// <summary>
    /// van Herk / Gil-Werman running max (or min) down every column at once: the rows, padded with Fill,
    /// are cut into blocks of one window; each block gets its prefix and suffix extrema, and every output
    /// row is the extremum of one suffix row and one prefix row. Three row operations per row whatever the window.
    /// </summary>
    private static void FilterColumns<T>(Plane plane, int radius) where T : IPick
    {
        int w = plane.Width, h = plane.Height, window = 2 * radius + 1, rows = h + 2 * radius;
        // The source shifted down by radius rows, Fill outside; turned into the prefix extrema in place.
        // Scratch comes from the pool: on planes this small, allocating (zeroing) it would cost more than the filter.
        var prefix = ArrayPool<float>.Shared.Rent(rows * w);
        var suffix = ArrayPool<float>.Shared.Rent(rows * w);
        prefix.AsSpan(0, radius * w).Fill(T.Fill);
        plane.Data.CopyTo(prefix, radius * w);
        prefix.AsSpan((radius + h) * w, radius * w).Fill(T.Fill);
        for (int blockStart = 0; blockStart < rows; blockStart += window)
        {
            int blockEnd = Math.Min(rows, blockStart + window);
            Array.Copy(prefix, (blockEnd - 1) * w, suffix, (blockEnd - 1) * w, w);
            for (int r = blockEnd - 2; r >= blockStart; r--) PickRows<T>(suffix, (r + 1) * w, prefix, r * w, suffix, r * w, w);
            // Each prefix row needs only the source row at its own position, so it overwrites it.
            for (int r = blockStart + 1; r < blockEnd; r++) PickRows<T>(prefix, (r - 1) * w, prefix, r * w, prefix, r * w, w);
        }
        for (int r = 0; r < h; r++) PickRows<T>(suffix, r * w, prefix, (r + window - 1) * w, plane.Data, r * w, w);
        ArrayPool<float>.Shared.Return(prefix);
        ArrayPool<float>.Shared.Return(suffix);
    }

    /// <summary>target[t..t+n) = Pick(a[i..i+n), b[j..j+n)), a vector at a time.</summary>
    private static void PickRows<T>(float[] a, int i, float[] b, int j, float[] target, int t, int n) where T : IPick
    {
        int k = 0;
        for (; k <= n - Vector<float>.Count; k += Vector<float>.Count)
            T.Pick(new Vector<float>(a, i + k), new Vector<float>(b, j + k)).CopyTo(target, t + k);
        for (; k < n; k++) target[t + k] = T.Pick(a[i + k], b[j + k]);
    }

    /// <summary>Euclidean distance from every pixel to the nearest pixel where <paramref name="feature"/> is
    /// true (Felzenszwalb-Huttenlocher); +infinity-like when there is none.</summary>
    /// <param name="cap">Distances below it are exact; at or above it only "at least cap" is promised (a
    /// larger value, possibly +infinity-like). Columns farther than the cap from any feature then drop out of
    /// the row pass, which is where the time goes: a term (q - p)^2 + column(p)^2 with column(p) >= cap is at
    /// least cap^2, so it can only be the minimum where the distance is at least cap anyway.</param>
    public static float[] DistanceTo(bool[] feature, int width, int height, int cap = int.MaxValue / 4)
    {
        // Along columns: the distance to the nearest feature above or below, by a downward and an upward
        // sweep that go row by row (memory in order, a vector of columns at a time). Squared, these are FH's
        // first pass exactly.
        const int None = int.MaxValue / 2;
        int n = width * height;
        var rows = ArrayPool<int>.Shared.Rent(n);
        for (int i = 0; i < n; i++) rows[i] = feature[i] ? 0 : None;
        for (int i = width; i < n; i += width) SweepRow(rows, i, i - width, width);
        for (int i = n - 2 * width; i >= 0; i -= width) SweepRow(rows, i, i + width, width);
        var d = GC.AllocateUninitializedArray<float>(n);
        int limit = Math.Min(None, cap), k = 0;
        if (Vector.IsHardwareAccelerated)
            for (var far = new Vector<float>(Far); k <= n - Vector<int>.Count; k += Vector<int>.Count)
            {
                var r = new Vector<int>(rows, k);
                var squared = Vector.ConvertToSingle(r) * Vector.ConvertToSingle(r);
                Vector.ConditionalSelect(Vector.GreaterThanOrEqual(r, new Vector<int>(limit)), far, squared).CopyTo(d, k);
            }
        for (; k < n; k++) d[k] = rows[k] >= limit ? Far : (float)rows[k] * rows[k];
        ArrayPool<int>.Shared.Return(rows);

        // Along rows: the lower envelope of parabolas, in place row by row.
        var v = new int[width];
        var z = new double[width];
        var f = new float[width];
        for (int y = 0; y < height; y++)
        {
            var row = d.AsSpan(y * width, width);
            row.CopyTo(f);
            Transform1D(f, row, v, z);
        }
        k = 0;
        if (Vector.IsHardwareAccelerated)
            for (; k <= n - Vector<float>.Count; k += Vector<float>.Count) Vector.SquareRoot(new Vector<float>(d, k)).CopyTo(d, k);
        for (; k < n; k++) d[k] = MathF.Sqrt(d[k]);
        return d;
    }

    /// <summary>rows[at..at+n) = min(itself, rows[from..from+n) + 1): one step of a column sweep, for a row at once.</summary>
    private static void SweepRow(int[] rows, int at, int from, int n)
    {
        int k = 0;
        if (Vector.IsHardwareAccelerated)
            for (; k <= n - Vector<int>.Count; k += Vector<int>.Count)
                Vector.Min(new Vector<int>(rows, at + k), new Vector<int>(rows, from + k) + Vector<int>.One).CopyTo(rows, at + k);
        for (; k < n; k++) rows[at + k] = Math.Min(rows[at + k], rows[from + k] + 1);
    }

    /// <summary>Marks "no feature": larger than any squared distance in a picture.</summary>
    private const float Far = 1e12f;

    /// <summary>output[q] = min over p of (q - p)^2 + f[p]. Samples at <see cref="Far"/> never win while any
    /// other exists, so they are left out of the envelope; a line of them stays Far.</summary>
    private static void Transform1D(float[] f, Span<float> output, int[] v, double[] z)
    {
        int n = output.Length, k = -1;
        for (int q = 0; q < n; q++)
        {
            if (f[q] >= Far) continue;
            double gq = f[q] + (double)q * q, s = double.NegativeInfinity;
            while (k >= 0)
            {
                int p = v[k];
                s = (gq - (f[p] + (double)p * p)) / (2.0 * (q - p));
                if (s > z[k]) break;
                k--;
            }
            if (k < 0) s = double.NegativeInfinity;
            v[++k] = q;
            z[k] = s;
        }
        if (k < 0) { output.Fill(Far); return; }
        for (int q = 0, j = 0; q < n; q++)
        {
            while (j < k && z[j + 1] < q) j++;
            float dq = q - v[j];
            output[q] = dq * dq + f[v[j]];
        }
    }
}
