using SkiaSharp;

namespace HandWrite.Tests.Imaging;

/// <summary>Draws digit-like strokes with SkiaSharp so tests control paper, ink, lighting and geometry.</summary>
internal static class SyntheticDigits
{
    /// <summary>A "2"-like stroke (arc, diagonal, base) and a "7"-like one, in a unit box.</summary>
    public enum Glyph { Two, Seven, Zero }

    public static SKPath Outline(Glyph glyph, SKRect box)
    {
        var path = new SKPath();
        float l = box.Left, t = box.Top, w = box.Width, h = box.Height;
        SKPoint P(float x, float y) => new(l + x * w, t + y * h);
        switch (glyph)
        {
            case Glyph.Two:
                path.MoveTo(P(0.1f, 0.25f));
                path.CubicTo(P(0.15f, -0.05f), P(0.95f, -0.05f), P(0.85f, 0.35f));
                path.LineTo(P(0.05f, 1f));
                path.LineTo(P(0.95f, 1f));
                break;
            case Glyph.Seven:
                path.MoveTo(P(0.05f, 0f));
                path.LineTo(P(0.95f, 0f));
                path.LineTo(P(0.35f, 1f));
                break;
            default:
                path.AddOval(new SKRect(P(0.1f, 0f).X, P(0.1f, 0f).Y, P(0.9f, 1f).X, P(0.9f, 1f).Y));
                break;
        }
        return path;
    }

    /// <summary>A canvas of <paramref name="paper"/> (or transparent) with the glyph stroked in <paramref name="ink"/>.</summary>
    public static SKBitmap Draw(int width, int height, SKColor paper, SKColor ink, float strokeWidth, SKRect box,
        Glyph glyph = Glyph.Two, Action<SKCanvas>? background = null)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(paper);
        background?.Invoke(canvas);
        using var paint = new SKPaint
        {
            Color = ink, IsAntialias = true, Style = SKPaintStyle.Stroke, StrokeWidth = strokeWidth,
            StrokeCap = SKStrokeCap.Round, StrokeJoin = SKStrokeJoin.Round,
        };
        using var path = Outline(glyph, box);
        canvas.DrawPath(path, paint);
        return bitmap;
    }

    /// <summary>The reference case: a black "2" stroked 12 px on white 300x300, digit 160 px tall.</summary>
    public static SKBitmap Reference(Glyph glyph = Glyph.Two) =>
        Draw(300, 300, SKColors.White, SKColors.Black, 12, new SKRect(90, 70, 210, 230), glyph);

    public static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format = SKEncodedImageFormat.Png, int quality = 95)
    {
        using var data = bitmap.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}.");
        return data.ToArray();
    }
}
