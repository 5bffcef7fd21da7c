using System.Buffers.Binary;
using System.IO.Compression;
using HandWrite.Core.Imaging;

namespace HandWrite.Tests.Imaging;

/// <summary>Checks the layout conventions the preprocessor targets against the real MNIST training images,
/// with the same measuring functions the other tests use.</summary>
public sealed class MnistReferenceTests
{
    private const string TrainImages = "/work/shared/mnist/train-images-idx3-ubyte.gz";
    private const int Count = 2000;

    private static List<float[]> ReadFirstImages()
    {
        using var gzip = new GZipStream(File.OpenRead(TrainImages), CompressionMode.Decompress);
        var header = new byte[16];
        gzip.ReadExactly(header);
        Assert.Equal(0x00000803, BinaryPrimitives.ReadInt32BigEndian(header));
        var images = new List<float[]>();
        var raw = new byte[784];
        for (int n = 0; n < Count; n++)
        {
            gzip.ReadExactly(raw);
            images.Add(raw.Select(b => b / 255f).ToArray());
        }
        return images;
    }

    [Fact]
    public void MnistMatchesTheConventionsThePreprocessorTargets()
    {
        var images = ReadFirstImages();
        var centres = images.Select(p => MnistLayout.CentreOfMass(p, 28, 28)).ToList();
        // Pixel centres at integer coordinates: MNIST's centre of mass averages (14, 14).
        Assert.InRange(centres.Average(c => c.X), MnistLayout.CentreOfMassTarget - 0.1, MnistLayout.CentreOfMassTarget + 0.1);
        Assert.InRange(centres.Average(c => c.Y), MnistLayout.CentreOfMassTarget - 0.1, MnistLayout.CentreOfMassTarget + 0.1);
        Assert.True(centres.Count(c => Math.Abs(c.X - 14) <= 1 && Math.Abs(c.Y - 14) <= 1) >= 0.99 * Count);
        // Ink box: longest side 20 (the fit box) for almost every digit, never more.
        var longest = images.Select(p => { var b = PixelAssert.InkBounds(p); return Math.Max(b.Width, b.Height); }).ToList();
        Assert.True(longest.Count(l => l is 19 or 20) >= 0.99 * Count);
        // Stroke width at the 0.5 level: the band the wild-digit and synthetic tests use.
        var widths = images.Select(p => StrokeMetrics.Width(p, 28, 28)).Order().ToList();
        Assert.InRange(widths[Count / 2], 2.5f, 3.1f);
        Assert.InRange(widths[Count / 20], 1.9f, 2.4f);
        Assert.InRange(widths[Count * 19 / 20], 3.9f, 4.6f);
        ContactSheet.Save(images.Take(120).ToList(), TestEnvironment.ArtifactPath("mnist-sample.png"));
    }
}
