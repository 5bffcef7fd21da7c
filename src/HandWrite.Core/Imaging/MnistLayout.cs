namespace HandWrite.Core.Imaging;

/// <summary>
/// From the kept ink to MNIST's layout: crop to the ink, normalise the stroke width, fit the longest
/// side to 20 px (aspect kept, anti-aliased) and place the centre of mass at the centre of 28x28.
/// </summary>
/// <remarks>
/// Coordinate convention: pixel (x, y) has its centre at (x, y), x = column, y = row, 0-based. In that
/// convention the MNIST training images have their centre of mass at (14.0, 14.0) on average (measured
/// over 2000 training images: 14.01 / 13.99, sd 0.29), so <see cref="CentreOfMassTarget"/> is 14.
/// </remarks>
internal static class MnistLayout
{
    internal const int Side = DigitImage.Side;
    internal const int FitBox = 20;
    internal const float CentreOfMassTarget = 14f;

    /// <summary>Stroke width to aim for, in output pixels of the 20x20 fit, as measured by
    /// <see cref="StrokeMetrics.Width"/> on the continuous stroke before the final resize. Calibrated so the
    /// 28x28 result measures like MNIST's median stroke (about 2.8 px at the 0.5 level).</summary>
    internal const float TargetStrokeWidth = 2.5f;

    /// <summary>Work on the digit at least this many pixels along its longest side, so the stroke and its
    /// contour are resolved before shrinking to 20 px (small inputs are enlarged with a cubic filter).</summary>
    internal const int MinShapingSide = 80;

    /// <summary>Width of the ink-to-paper ramp drawn at the shaping resolution, in output pixels. The
    /// area-averaging shrink to 20 px softens it further; together they give MNIST's soft edges (about 70
    /// grey pixels per digit, MNIST's median is 68).</summary>
    internal const float EdgeRamp = 0.5f;

    public static float[] Layout(InkLayer ink)
    {
        var shape = ShapeStrokes(ink);
        var fitted = FitInto20(shape);
        return PlaceByCentreOfMass(fitted);
    }

    /// <summary>Crop, enlarge if small, binarise at the rim level and rebuild the stroke at the target width
    /// from a signed distance field, with a soft edge like MNIST's.</summary>
    internal static Plane ShapeStrokes(InkLayer ink)
    {
        var b = ink.Bounds;
        const int Margin = 2;
        var crop = ink.Contrast.Crop(b.Left - Margin, b.Top - Margin, b.Width + 2 * Margin, b.Height + 2 * Margin);
        int longest = Math.Max(b.Width, b.Height);
        if (longest < MinShapingSide)
        {
            double f = (double)MinShapingSide / longest;
            crop = crop.Resize(Math.Max(1, (int)Math.Round(crop.Width * f)), Math.Max(1, (int)Math.Round(crop.Height * f)));
        }

        var mask = InkSegmentation.Above(crop.Data, ink.Threshold / 2f);
        var stats = StrokeMetrics.Measure(mask, crop.Width, crop.Height);
        if (stats.Area == 0) return crop; // cannot happen for a kept layer; keeps the math below safe

        // Dilating by `offset` grows the stroke by 2*offset and the box by 2*offset; solve
        // w + 2o = target * (L + 2o) / 20 for o.
        float ratio = TargetStrokeWidth / FitBox;
        float offset = (ratio * stats.LongestSide - stats.Width) / (2f * (1f - ratio));
        // Thinning is capped at a third of the stroke so narrower parts of a thick stroke survive.
        offset = Math.Max(offset, -stats.Width / 3f);

        float pixelsPerOutput = (stats.LongestSide + 2 * offset) / FitBox;
        float ramp = Math.Max(1f, EdgeRamp * pixelsPerOutput);
        int pad = (int)Math.Ceiling(Math.Max(offset, 0f) + ramp / 2) + 2;
        int w = crop.Width + 2 * pad, h = crop.Height + 2 * pad;
        var padded = new bool[w * h];
        for (int y = 0; y < crop.Height; y++)
            Array.Copy(mask, y * crop.Width, padded, (y + pad) * w + pad, crop.Width);
        var inverted = new bool[padded.Length];
        for (int i = 0; i < padded.Length; i++) inverted[i] = !padded[i];
        // Only distances up to the ramp's far side change the result (beyond it the value is clamped to 0 or 1),
        // so both transforms stop a whole pixel past it: exact, and most of the row pass is skipped.
        var toInk = Morphology.DistanceTo(padded, w, h, cap: (int)MathF.Ceiling(0.5f + offset + ramp / 2) + 1);
        var toPaper = Morphology.DistanceTo(inverted, w, h, cap: (int)MathF.Ceiling(0.5f - offset + ramp / 2) + 1);

        var shaped = new Plane(w, h);
        for (int i = 0; i < shaped.Data.Length; i++)
        {
            // Signed distance to the contour (pixel edges at +-0.5), positive inside the ink.
            float inside = padded[i] ? toPaper[i] - 0.5f : 0.5f - toInk[i];
            shaped.Data[i] = Math.Clamp((inside + offset) / ramp + 0.5f, 0f, 1f);
        }
        return shaped;
    }

    /// <summary>Crop to the ink and shrink so the longest side is exactly 20 px (aspect kept).</summary>
    internal static Plane FitInto20(Plane shape)
    {
        int x0 = shape.Width, y0 = shape.Height, x1 = -1, y1 = -1;
        for (int y = 0; y < shape.Height; y++)
            for (int x = 0; x < shape.Width; x++)
                if (shape[x, y] > 0f) { x0 = Math.Min(x0, x); x1 = Math.Max(x1, x); y0 = Math.Min(y0, y); y1 = Math.Max(y1, y); }
        if (x1 < 0) return new Plane(1, 1);
        var ink = shape.Crop(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
        double f = (double)FitBox / Math.Max(ink.Width, ink.Height);
        int fw = Math.Clamp((int)Math.Round(ink.Width * f), 1, FitBox), fh = Math.Clamp((int)Math.Round(ink.Height * f), 1, FitBox);
        // Via exactly 4x the output size, so the last shrink is two exact 2x2 averagings and adds no
        // extra blur from fractional resampling offsets.
        var fitted = ink.Resize(4 * fw, 4 * fh).Resize(fw, fh);
        for (int i = 0; i < fitted.Data.Length; i++) fitted.Data[i] = Math.Clamp(fitted.Data[i], 0f, 1f);
        return fitted;
    }

    /// <summary>Whole-pixel shift (as MNIST did) putting the centre of mass within half a pixel of (14, 14).</summary>
    internal static float[] PlaceByCentreOfMass(Plane fitted)
    {
        var (cx, cy) = CentreOfMass(fitted.Data, fitted.Width, fitted.Height);
        int dx = (int)Math.Round(CentreOfMassTarget - cx), dy = (int)Math.Round(CentreOfMassTarget - cy);
        var pixels = new float[Side * Side];
        for (int y = 0; y < fitted.Height; y++)
        {
            int ty = y + dy;
            if (ty < 0 || ty >= Side) continue;
            for (int x = 0; x < fitted.Width; x++)
            {
                int tx = x + dx;
                if (tx >= 0 && tx < Side) pixels[ty * Side + tx] = fitted[x, y];
            }
        }
        return pixels;
    }

    /// <summary>Intensity-weighted centre, pixel centres at integer coordinates; the geometric centre if empty.</summary>
    internal static (float X, float Y) CentreOfMass(float[] pixels, int width, int height)
    {
        double sum = 0, sx = 0, sy = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float v = pixels[y * width + x];
                sum += v; sx += v * x; sy += v * y;
            }
        return sum <= 0 ? ((width - 1) / 2f, (height - 1) / 2f) : ((float)(sx / sum), (float)(sy / sum));
    }
}
