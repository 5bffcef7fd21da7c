using System.Security.Cryptography;

namespace HandWrite.Core.Data;

/// <summary>The four MNIST files, their content checksums, and finding a folder that holds them verified.</summary>
public static class MnistFiles
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>sha256 of each decompressed file: the content, whatever compression carried it.</summary>
    public static readonly IReadOnlyDictionary<string, string> ContentSha256 = new Dictionary<string, string>
    {
        [TrainImages] = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        [TrainLabels] = "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        [TestImages] = "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        [TestLabels] = "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    };

    public static IEnumerable<string> Names => ContentSha256.Keys;

    /// <summary>The file for <paramref name="name"/> in <paramref name="folder"/>: name.gz or raw name; null if neither exists.</summary>
    public static string? Find(string folder, string name) =>
        new[] { Path.Combine(folder, name + ".gz"), Path.Combine(folder, name) }.FirstOrDefault(File.Exists);

    /// <summary>True when all four files are present (not checked).</summary>
    public static bool AllPresent(string folder) => Names.All(n => Find(folder, n) is not null);

    /// <summary>Reads one file's content and verifies it against the known checksum.</summary>
    public static byte[] ReadVerified(string folder, string name)
    {
        var path = Find(folder, name) ?? throw new HandWriteException(
            $"MNIST file {name}(.gz) is missing from '{folder}'.", HandWriteErrorKind.NotFound, target: folder);
        var content = IdxFile.ReadContent(path);
        Verify(content, name, path);
        return content;
    }

    /// <summary>Throws InvalidData unless <paramref name="content"/> is the genuine <paramref name="name"/>.</summary>
    public static void Verify(byte[] content, string name, string source)
    {
        var actual = Convert.ToHexString(SHA256.HashData(content)).ToLowerInvariant();
        if (actual != ContentSha256[name])
            throw new HandWriteException(
                $"'{source}' is not the genuine MNIST {name}: its content sha256 is {actual}, expected {ContentSha256[name]}. Delete it so HandWrite can fetch a good copy.",
                HandWriteErrorKind.InvalidData, target: source);
    }
}
