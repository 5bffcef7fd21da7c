using System.Buffers.Binary;
using System.IO.Compression;
using HandWrite.Core;
using HandWrite.Core.Data;
using static HandWrite.Tests.Core.CoreTestSupport;

namespace HandWrite.Tests.Core;

/// <summary>IDX parsing and MNIST file verification on synthetic bytes built here, plus the real MNIST files.</summary>
public sealed class IdxFileTests : IDisposable
{
    readonly TempFolder _temp = new();
    public void Dispose() => _temp.Dispose();

    static byte[] Images(int count, int rows, int cols, int? claimedCount = null, int magic = IdxFile.ImagesMagic)
    {
        var bytes = new byte[16 + count * rows * cols];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), claimedCount ?? count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), cols);
        for (int i = 16; i < bytes.Length; i++) bytes[i] = (byte)(i * 7 + i / 13);
        return bytes;
    }

    static byte[] Labels(params byte[] labels)
    {
        var bytes = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxFile.LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), labels.Length);
        labels.CopyTo(bytes, 8);
        return bytes;
    }

    static byte[] Gzip(byte[] content)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(content);
        return ms.ToArray();
    }

    string Write(string name, byte[] bytes) { var p = _temp[name]; File.WriteAllBytes(p, bytes); return p; }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Images_and_labels_round_trip_raw_and_gzip(bool gzip)
    {
        var images = Images(5, 3, 4);
        var labels = Labels(0, 9, 3, 7, 1);
        var imagesPath = Write("img" + (gzip ? ".gz" : ""), gzip ? Gzip(images) : images);
        var labelsPath = Write("lab" + (gzip ? ".gz" : ""), gzip ? Gzip(labels) : labels);

        Assert.Equal(images, IdxFile.ReadContent(imagesPath));
        var (pixels, count, rows, cols) = IdxFile.ParseImages(IdxFile.ReadContent(imagesPath), imagesPath);
        Assert.Equal((5, 3, 4), (count, rows, cols));
        Assert.Equal(images[16..], pixels);
        Assert.Equal(new byte[] { 0, 9, 3, 7, 1 }, IdxFile.ParseLabels(IdxFile.ReadContent(labelsPath), labelsPath));
    }

    [Fact]
    public void Missing_file_is_NotFound_with_its_path()
    {
        var path = _temp["nope.gz"];
        var ex = Throws(HandWriteErrorKind.NotFound, () => IdxFile.ReadContent(path));
        Assert.Equal(path, ex.Target);
    }

    public static TheoryData<string, byte[], string> BadImageContent => new()
    {
        { "shorter than a header", Images(1, 2, 2)[..10], "shorter than an IDX header" },
        { "truncated data", Images(4, 5, 5)[..^1], "holds" },
        { "one byte too many", [.. Images(4, 5, 5), 0], "holds" },
        { "labels magic in an images file", Images(2, 2, 2, magic: IdxFile.LabelsMagic), "magic number is 0x00000801" },
        { "garbage magic", Images(2, 2, 2, magic: 0x504B0304), "magic number" },
        { "count says 5, holds 4", Images(4, 5, 5, claimedCount: 5), "claims 5 images" },
        { "count 2^31 (negative as int32)", Images(1, 2, 2, claimedCount: int.MinValue), "claims -2147483648 items" },
        { "count int.MaxValue", Images(1, 2, 2, claimedCount: int.MaxValue), "claims 2147483647 items" },
        { "zero rows", Images(0, 0, 28), "images of 0x28" },
        { "huge cols", Images(0, 28, 100_000), "images of 28x100000" },
    };

    [Theory]
    [MemberData(nameof(BadImageContent))]
    public void Bad_image_content_is_InvalidData_saying_what_to_do(string why, byte[] content, string detail)
    {
        var ex = Throws(HandWriteErrorKind.InvalidData, () => IdxFile.ParseImages(content, "x-images"));
        Assert.Equal("x-images", ex.Target);
        Assert.Contains(detail, ex.Message);
        Assert.Contains("Delete it", ex.Message);
        Assert.False(string.IsNullOrEmpty(why));
    }

    [Fact]
    public void Labels_that_are_not_digits_or_miscounted_are_InvalidData()
    {
        Assert.Contains("label 2 is 10", Throws(HandWriteErrorKind.InvalidData, () => IdxFile.ParseLabels(Labels(1, 2, 10), "l")).Message);
        var miscounted = Labels(1, 2, 3);
        BinaryPrimitives.WriteInt32BigEndian(miscounted.AsSpan(4), 4);
        Assert.Contains("claims 4 labels", Throws(HandWriteErrorKind.InvalidData, () => IdxFile.ParseLabels(miscounted, "l")).Message);
        var header2Pow31 = Labels(1);
        BinaryPrimitives.WriteUInt32BigEndian(header2Pow31.AsSpan(4), 1u << 31);
        Throws(HandWriteErrorKind.InvalidData, () => IdxFile.ParseLabels(header2Pow31, "l"));
    }

    [Fact]
    public void Gzip_crc_error_is_InvalidData()
    {
        var gz = Gzip(Images(50, 28, 28));
        gz[^8] ^= 0x01; // the CRC32 in the trailer: the data inflates fine but does not match it
        var ex = Throws(HandWriteErrorKind.InvalidData, () => IdxFile.ReadContent(Write("crc.gz", gz)));
        Assert.Contains("Delete it", ex.Message);
    }

    [Fact]
    public void Gzip_with_flipped_body_bytes_is_InvalidData_at_every_position()
    {
        var original = Gzip(Images(50, 28, 28));
        // Every 7th byte of the deflate body (after the 10-byte header, before the 8-byte trailer).
        for (int at = 10; at < original.Length - 8; at += 7)
        {
            var gz = (byte[])original.Clone();
            gz[at] ^= 0x5A;
            var path = Write("flip.gz", gz);
            var ex = Assert.Throws<HandWriteException>(() => IdxFile.ReadContent(path));
            Assert.True(ex.Kind == HandWriteErrorKind.InvalidData, $"byte {at}: {ex.Kind} {ex.Message}");
            Assert.Equal(path, ex.Target);
        }
    }

    [Fact]
    public void Truncated_gzip_is_InvalidData_and_allocates_little()
    {
        var original = Gzip(Images(200, 28, 28));
        long worst = 0;
        foreach (var keep in new[] { 3, 10, 20, original.Length / 3, original.Length / 2, original.Length - 9, original.Length - 1 })
        {
            var path = Write("cut.gz", original[..keep]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<HandWriteException>(() => IdxFile.ReadContent(path));
            worst = Math.Max(worst, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(ex.Kind == HandWriteErrorKind.InvalidData, $"kept {keep}: {ex.Kind} {ex.Message}");
            Assert.Contains("Delete it", ex.Message);
        }
        // A truncated file's last 4 bytes are arbitrary; they must not size a huge buffer.
        Assert.True(worst < 16 << 20, $"reading a {original.Length}-byte truncated gzip allocated {worst:N0} bytes");
    }

    [Fact]
    public void Gzip_bomb_is_refused_as_LimitsExceeded_without_inflating_it_all()
    {
        // 600 MB of zeros compress to well under 1 MB: far more than any MNIST file (47 MB).
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 600; i++) gz.Write(zeros);
        }
        var path = Write("bomb.gz", ms.ToArray());
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Throws(HandWriteErrorKind.LimitsExceeded, () => IdxFile.ReadContent(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(path, ex.Target);
        Assert.True(allocated < 600L << 20, $"refusing the bomb allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Verify_rejects_wellformed_content_that_is_not_genuine_MNIST()
    {
        // Real-looking: a valid IDX header and size of the test images, wrong pixels.
        var fake = Images(10_000, 28, 28);
        var expected = MnistFiles.ContentSha256[MnistFiles.TestImages];
        var ex = Throws(HandWriteErrorKind.InvalidData, () => MnistFiles.Verify(fake, MnistFiles.TestImages, "fake-source"));
        Assert.Equal("fake-source", ex.Target);
        Assert.Contains(expected, ex.Message);
        Assert.Contains(Sha256(fake), ex.Message);
        Assert.Contains("Delete it", ex.Message);

        // Through a folder, gzip-compressed, as a user's damaged download would be.
        var path = Write(MnistFiles.TestImages + ".gz", Gzip(fake));
        Assert.Equal(path, Throws(HandWriteErrorKind.InvalidData, () => MnistFiles.ReadVerified(_temp.Path, MnistFiles.TestImages)).Target);
    }

    [Fact]
    public void Missing_MNIST_file_is_NotFound_naming_the_folder()
    {
        var ex = Throws(HandWriteErrorKind.NotFound, () => MnistFiles.ReadVerified(_temp.Path, MnistFiles.TrainLabels));
        Assert.Equal(_temp.Path, ex.Target);
        Assert.Contains(MnistFiles.TrainLabels, ex.Message);
    }

    [Fact]
    public void Real_MNIST_files_verify_and_parse_to_60000_and_10000_images_of_28x28()
    {
        var mnist = TestEnvironment.MnistFolder;
        var (trainPixels, trainCount, r1, c1) = IdxFile.ParseImages(MnistFiles.ReadVerified(mnist, MnistFiles.TrainImages), "train");
        var trainLabels = IdxFile.ParseLabels(MnistFiles.ReadVerified(mnist, MnistFiles.TrainLabels), "train-labels");
        var (testPixels, testCount, r2, c2) = IdxFile.ParseImages(MnistFiles.ReadVerified(mnist, MnistFiles.TestImages), "test");
        var testLabels = IdxFile.ParseLabels(MnistFiles.ReadVerified(mnist, MnistFiles.TestLabels), "test-labels");
        Assert.Equal((60_000, 28, 28), (trainCount, r1, c1));
        Assert.Equal((10_000, 28, 28), (testCount, r2, c2));
        Assert.Equal(60_000 * 784, trainPixels.Length);
        Assert.Equal(10_000 * 784, testPixels.Length);
        Assert.Equal(60_000, trainLabels.Length);
        Assert.Equal(10_000, testLabels.Length);
        // Every digit occurs, in roughly MNIST's proportions (each class 9-12 %).
        foreach (var labels in new[] { trainLabels, testLabels })
            for (byte d = 0; d <= 9; d++)
                Assert.InRange(labels.Count(l => l == d) / (double)labels.Length, 0.08, 0.125);
    }

    [Fact]
    public void An_oversized_data_file_is_refused_by_size_before_reading()
    {
        // A 3 GB (sparse) file where MNIST's largest file is 47 MB: no raw IOException, no 3 GB read.
        var path = _temp[MnistFiles.TrainImages];
        using (var fs = new FileStream(path, FileMode.CreateNew)) fs.SetLength(3L << 30);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Throws(HandWriteErrorKind.LimitsExceeded, () => MnistFiles.ReadVerified(_temp.Path, MnistFiles.TrainImages));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "the file was read before being refused");
        Assert.Equal(path, ex.Target);
    }
}
