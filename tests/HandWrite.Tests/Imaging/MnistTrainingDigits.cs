using HandWrite.Core.Data;
using HandWrite.Core.Imaging;

namespace HandWrite.Tests.Imaging;

/// <summary>
/// The real MNIST training digits, as 28x28 inputs and as ordinary pictures of dark ink on white paper. Never the
/// test set: it stays the held-out measure of accuracy, and reading tests that must pass on its digits would tune
/// the pipeline to it.
/// </summary>
internal static class MnistTrainingDigits
{
    const int Side = DigitImage.Side;

    static readonly Lazy<(byte[] Pixels, byte[] Labels)> Set = new(() =>
    {
        var (pixels, _, _, _) = IdxFile.ParseImages(MnistFiles.ReadVerified(TestEnvironment.MnistFolder, MnistFiles.TrainImages), MnistFiles.TrainImages);
        return (pixels, IdxFile.ParseLabels(MnistFiles.ReadVerified(TestEnvironment.MnistFolder, MnistFiles.TrainLabels), MnistFiles.TrainLabels));
    });

    public static int Count => Set.Value.Labels.Length;

    public static int Label(int index) => Set.Value.Labels[index];

    /// <summary>Training image <paramref name="index"/> as MNIST holds it: white ink on black, 0..1.</summary>
    public static float[] Image(int index)
    {
        var bytes = Set.Value.Pixels.AsSpan(index * Side * Side, Side * Side);
        var image = new float[bytes.Length];
        for (int i = 0; i < image.Length; i++) image[i] = bytes[i] / 255f;
        return image;
    }

    /// <summary>
    /// Writes training image <paramref name="index"/> as a greyscale PNG of dark ink on white, enlarged
    /// <paramref name="scale"/> times with the product's own resampler (a smooth cubic upscale, as a pen drawing
    /// at that size would be, not blocky pixels), with MNIST's 4 px border of paper around the 20x20 box kept.
    /// </summary>
    public static void SaveDrawn(int index, int scale, string path)
    {
        var ink = new Plane(Side, Side, Image(index)).Resize(Side * scale, Side * scale);
        GrayPng.Save(ink.Data.Select(v => 1f - Math.Clamp(v, 0f, 1f)).ToArray(), ink.Width, ink.Height, path);
    }
}
