using SkiaSharp;

namespace HandWrite.Core.Reports;

/// <summary>Rendering plumbing shared by the charts: a text font that exists on this machine, and atomic PNG writes.</summary>
internal static class ChartOutput
{
    static readonly string[] PreferredFamilies = ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica", "Segoe UI"];

    /// <summary>
    /// A sans-serif face when the machine has one; otherwise the first font file found in the usual folders, registered
    /// with ScottPlot; otherwise Skia's default. Without this a minimal Linux falls back to a serif face or to no glyphs at all.
    /// </summary>
    static readonly Lazy<(string Name, SKTypeface Typeface)> Font = new(() =>
    {
        foreach (var family in PreferredFamilies)
        {
            var face = SKTypeface.FromFamilyName(family);
            if (face is not null && face.FamilyName == family && face.GlyphCount > 0) return (family, face);
            face?.Dispose();
        }
        foreach (var file in FontFiles())
        {
            var face = SKTypeface.FromFile(file);
            if (face is null || face.GlyphCount == 0) continue;
            const string name = "HandWrite Fallback";
            ScottPlot.Fonts.AddFontFile(name, file);
            return (name, face);
        }
        return (SKTypeface.Default.FamilyName, SKTypeface.Default);
    });

    public static string FontName => Font.Value.Name;
    public static SKTypeface Typeface => Font.Value.Typeface;

    static IEnumerable<string> FontFiles()
    {
        string[] folders =
        [
            "/usr/share/fonts", "/usr/local/share/fonts",
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fonts"),
            Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local/share/fonts"),
            "/System/Library/Fonts", "/Library/Fonts",
            Environment.GetFolderPath(Environment.SpecialFolder.Fonts),
        ];
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MatchCasing = MatchCasing.CaseInsensitive };
        return folders.Where(f => f.Length > 0 && Directory.Exists(f))
            .SelectMany(f => Directory.EnumerateFiles(f, "*.ttf", options))
            .OrderBy(f => Path.GetFileName(f).Contains("sans", StringComparison.OrdinalIgnoreCase) ? 0 : 1);
    }

    /// <summary>Renders onto a white canvas of the given size and returns the PNG bytes.</summary>
    public static byte[] RenderPng(int width, int height, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new HandWriteException($"Cannot allocate a {width}x{height} image for the chart.", HandWriteErrorKind.LimitsExceeded);
        surface.Canvas.Clear(SKColors.White);
        draw(surface.Canvas);
        using var image = surface.Snapshot();
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>
    /// Writes <paramref name="png"/> to a temp file beside <paramref name="pngPath"/>, then renames it: a reader never sees
    /// half a chart, and a failed write leaves any previous chart intact.
    /// </summary>
    public static void WriteAtomically(string pngPath, byte[] png)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pngPath);
        string full = Path.GetFullPath(pngPath);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllBytes(temp, png);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new HandWriteException(
                $"Cannot write the chart '{full}' ({ex.Message.TrimEnd('.')}). Choose a path in a folder you can write to.",
                HandWriteErrorKind.PermissionDenied, ex, full);
        }
    }
}
