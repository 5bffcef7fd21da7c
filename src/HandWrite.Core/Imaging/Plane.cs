using System.Runtime.InteropServices;
using SkiaSharp;

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

    /// <summary>Resample with Skia (area-averaging when shrinking, cubic when enlarging); see <see cref="Resampling"/>.</summary>
    public Plane Resize(int width, int height)
    {
        using var source = ToBitmap();
        using var resized = Resampling.Resize(source, width, height);
        return FromBitmap(resized);
    }

    /// <summary>Gaussian blur through Skia's image filter (edges clamped, so borders are not darkened).</summary>
    public Plane Blur(float sigma)
    {
        using var source = ToBitmap();
        using var target = new SKBitmap(FloatInfo(Width, Height));
        using (var canvas = new SKCanvas(target))
        using (var paint = new SKPaint { ImageFilter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp) })
        {
            canvas.Clear(SKColors.Black);
            canvas.DrawBitmap(source, 0, 0, paint);
        }
        return FromBitmap(target);
    }

    private static SKImageInfo FloatInfo(int width, int height) =>
        new(width, height, SKColorType.RgbaF32, SKAlphaType.Opaque);

    private SKBitmap ToBitmap()
    {
        var bitmap = new SKBitmap(FloatInfo(Width, Height));
        var rgba = MemoryMarshal.Cast<byte, float>(bitmap.GetPixelSpan());
        for (int i = 0; i < Data.Length; i++)
        {
            float v = Data[i];
            rgba[i * 4] = v; rgba[i * 4 + 1] = v; rgba[i * 4 + 2] = v; rgba[i * 4 + 3] = 1f;
        }
        return bitmap;
    }

    private static Plane FromBitmap(SKBitmap bitmap)
    {
        var rgba = MemoryMarshal.Cast<byte, float>(bitmap.GetPixelSpan());
        var plane = new Plane(bitmap.Width, bitmap.Height);
        for (int i = 0; i < plane.Data.Length; i++) plane.Data[i] = rgba[i * 4];
        return plane;
    }
}
