namespace HandWrite.Core.Imaging;

/// <summary>Grey-level and binary morphology on planes: no Skia call does these.</summary>
internal static class Morphology
{
    /// <summary>Max (dilate) or min (erode) over a square window of side 2*radius+1, separable, O(n).</summary>
    public static Plane SquareFilter(Plane source, int radius, bool max) => RectFilter(source, radius, radius, max);

    /// <summary>Max or min over a (2*radiusX+1) x (2*radiusY+1) window; a zero radius skips that axis.</summary>
    public static Plane RectFilter(Plane source, int radiusX, int radiusY, bool max)
    {
        var result = source.Clone();
        int w = source.Width, h = source.Height;
        var line = new float[Math.Max(w, h)];
        var output = new float[Math.Max(w, h)];
        int padded = Math.Max(w, h) + 2 * Math.Max(radiusX, radiusY);
        var prefix = new float[padded];
        var suffix = new float[padded];
        if (radiusX > 0)
            for (int y = 0; y < h; y++)
            {
                Array.Copy(result.Data, y * w, line, 0, w);
                Filter1D(line, w, radiusX, max, output, prefix, suffix);
                Array.Copy(output, 0, result.Data, y * w, w);
            }
        if (radiusY > 0)
            for (int x = 0; x < w; x++)
            {
                for (int y = 0; y < h; y++) line[y] = result.Data[y * w + x];
                Filter1D(line, h, radiusY, max, output, prefix, suffix);
                for (int y = 0; y < h; y++) result.Data[y * w + x] = output[y];
            }
        return result;
    }

    /// <summary>van Herk / Gil-Werman running max (or min): block prefix and suffix extrema, three
    /// comparisons per sample whatever the window.</summary>
    private static void Filter1D(float[] input, int n, int radius, bool max, float[] output, float[] prefix, float[] suffix)
    {
        if (max) Filter1D<MaxOf>(input, n, radius, output, prefix, suffix);
        else Filter1D<MinOf>(input, n, radius, output, prefix, suffix);
    }

    private interface IPick { static abstract float Fill { get; } static abstract float Pick(float a, float b); }
    private readonly struct MaxOf : IPick { public static float Fill => float.NegativeInfinity; public static float Pick(float a, float b) => a > b ? a : b; }
    private readonly struct MinOf : IPick { public static float Fill => float.PositiveInfinity; public static float Pick(float a, float b) => a < b ? a : b; }

    private static void Filter1D<T>(float[] input, int n, int radius, float[] output, float[] prefix, float[] suffix) where T : IPick
    {
        int window = 2 * radius + 1;
        int padded = n + 2 * radius;
        // The input shifted right by radius, with Fill outside it.
        var src = prefix.AsSpan(0, padded);
        src[..radius].Fill(T.Fill);
        input.AsSpan(0, n).CopyTo(src[radius..]);
        src[(radius + n)..].Fill(T.Fill);
        for (int blockStart = 0; blockStart < padded; blockStart += window)
        {
            int blockEnd = Math.Min(padded, blockStart + window);
            suffix[blockEnd - 1] = src[blockEnd - 1];
            for (int p = blockEnd - 2; p >= blockStart; p--) suffix[p] = T.Pick(suffix[p + 1], src[p]);
            // Prefix overwrites src in place: each prefix value needs only the source sample at its own position.
            for (int p = blockStart + 1; p < blockEnd; p++) src[p] = T.Pick(src[p - 1], src[p]);
        }
        for (int i = 0; i < n; i++)
            output[i] = T.Pick(suffix[i], prefix[i + window - 1]);
    }

    /// <summary>Euclidean distance from every pixel to the nearest pixel where <paramref name="feature"/> is
    /// true (Felzenszwalb-Huttenlocher); +infinity-like when there is none.</summary>
    public static float[] DistanceTo(bool[] feature, int width, int height)
    {
        const float Far = 1e12f;
        var d = new float[width * height];
        for (int i = 0; i < d.Length; i++) d[i] = feature[i] ? 0f : Far;
        int n = Math.Max(width, height);
        var f = new float[n];
        var o = new float[n];
        var v = new int[n];
        var z = new float[n + 1];
        for (int x = 0; x < width; x++)
        {
            for (int y = 0; y < height; y++) f[y] = d[y * width + x];
            Transform1D(f, height, o, v, z);
            for (int y = 0; y < height; y++) d[y * width + x] = o[y];
        }
        for (int y = 0; y < height; y++)
        {
            Array.Copy(d, y * width, f, 0, width);
            Transform1D(f, width, o, v, z);
            Array.Copy(o, 0, d, y * width, width);
        }
        for (int i = 0; i < d.Length; i++) d[i] = MathF.Sqrt(d[i]);
        return d;
    }

    private static void Transform1D(float[] f, int n, float[] output, int[] v, float[] z)
    {
        double Intersection(int q, int p) => ((f[q] + (double)q * q) - (f[p] + (double)p * p)) / (2.0 * (q - p));
        int k = 0;
        v[0] = 0;
        z[0] = float.NegativeInfinity;
        z[1] = float.PositiveInfinity;
        for (int q = 1; q < n; q++)
        {
            double s = Intersection(q, v[k]);
            while (s <= z[k]) { k--; s = Intersection(q, v[k]); }
            k++;
            v[k] = q;
            z[k] = (float)s;
            z[k + 1] = float.PositiveInfinity;
        }
        k = 0;
        for (int q = 0; q < n; q++)
        {
            while (z[k + 1] < q) k++;
            float dq = q - v[k];
            output[q] = dq * dq + f[v[k]];
        }
    }
}
