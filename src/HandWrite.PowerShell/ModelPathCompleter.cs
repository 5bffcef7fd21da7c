using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using HandWrite.Core.Model;

namespace HandWrite.PowerShell;

/// <summary>Tab completion for -ModelPath: folders and HandWrite model files (*.hwm) under what was typed.</summary>
public sealed class ModelPathCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var typed = wordToComplete.Trim('\'', '"');
        string baseDir = Directory.GetCurrentDirectory();
        // The runspace's location, not the process's: they differ in a host after Set-Location.
        using (var ps = System.Management.Automation.PowerShell.Create(RunspaceMode.CurrentRunspace))
        {
            var location = ps.AddCommand("Get-Location").Invoke().FirstOrDefault()?.BaseObject as PathInfo;
            if (location?.Provider.Name == "FileSystem") baseDir = location.ProviderPath;
        }

        var dirPart = Path.GetDirectoryName(typed) ?? "";
        var namePart = Path.GetFileName(typed);
        var expanded = dirPart.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + dirPart[1..] : dirPart;
        var searchDir = Path.GetFullPath(Path.Combine(baseDir, expanded));
        if (!Directory.Exists(searchDir)) yield break;

        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateDirectories(searchDir, namePart + "*").Select(d => d + Path.DirectorySeparatorChar)
                .Concat(Directory.EnumerateFiles(searchDir, namePart + "*" + ModelFile.Extension))
                .Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { yield break; }

        foreach (var candidate in candidates)
        {
            var isFolder = candidate.EndsWith(Path.DirectorySeparatorChar);
            var leaf = Path.GetFileName(candidate.TrimEnd(Path.DirectorySeparatorChar)) + (isFolder ? Path.DirectorySeparatorChar : "");
            var text = dirPart.Length == 0 ? leaf : Path.Combine(dirPart, leaf);
            var quoted = text.IndexOfAny([' ', '\'', '$', '`', '(', ')', '{', '}', '[', ']', '&', ';', ',']) >= 0 ? "'" + text.Replace("'", "''") + "'" : text;
            yield return new CompletionResult(quoted, leaf, isFolder ? CompletionResultType.ProviderContainer : CompletionResultType.ProviderItem, candidate);
        }
    }
}
