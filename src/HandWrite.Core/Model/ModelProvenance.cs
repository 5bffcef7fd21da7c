using System.Text.Json;

namespace HandWrite.Core.Model;

/// <summary>
/// Where a model came from, for a model that carries a note beside it (&lt;name&gt;.provenance.json, as the model shipped
/// with the module does): the recipe that trained it and its MNIST test accuracy, measured once when it was made
/// (build.ps1 -DefaultModel writes both). The note names the weights it is about, so a note left beside another file is ignored.
/// </summary>
public sealed record ModelProvenance(string WeightsSha256, string Recipe, double TestAccuracy, string Measured)
{
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".provenance.json");

    /// <summary>The note beside <paramref name="modelPath"/> when it is about these weights; otherwise null.</summary>
    public static ModelProvenance? For(string modelPath, string weightsSha256)
    {
        var path = PathFor(modelPath);
        try
        {
            if (!File.Exists(path) || new FileInfo(path).Length > 16 * 1024) return null;
            var note = JsonSerializer.Deserialize<ModelProvenance>(File.ReadAllBytes(path));
            return note is not null && string.Equals(note.WeightsSha256, weightsSha256, StringComparison.OrdinalIgnoreCase) ? note : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return null; // a note that cannot be read says nothing; the model itself is still what it is
        }
    }

}
