namespace HandWrite.Core.Imaging;

/// <summary>
/// A picture turned into the network's 28x28 input, laid out the way MNIST was made:
/// white ink (1) on black (0), fitted into 20x20 and centred by centre of mass.
/// </summary>
public sealed class DigitImage
{
    public const int Side = 28;

    /// <summary>784 values, row-major 28x28; 0 = background, 1 = full ink. Not mean/std normalised.</summary>
    public float[] Pixels { get; }

    /// <summary>Why no digit was found (then <see cref="Pixels"/> are all 0); null when a digit was found.</summary>
    public string? BlankReason { get; }

    /// <summary>Size of the picture as displayed (after EXIF orientation), before any scaling.</summary>
    public int SourceWidth { get; }
    public int SourceHeight { get; }

    internal DigitImage(float[] pixels, string? blankReason, int sourceWidth, int sourceHeight)
    {
        if (pixels.Length != Side * Side) throw new ArgumentException($"Expected {Side * Side} pixels.", nameof(pixels));
        Pixels = pixels;
        BlankReason = blankReason;
        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
    }

    internal static DigitImage Blank(string reason, int sourceWidth, int sourceHeight) =>
        new(new float[Side * Side], reason, sourceWidth, sourceHeight);
}
