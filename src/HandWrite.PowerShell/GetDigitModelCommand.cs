using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Model;

namespace HandWrite.PowerShell;

/// <summary>Reads what a model file says about itself, without loading it for prediction.</summary>
[Cmdlet(VerbsCommon.Get, "DigitModel", DefaultParameterSetName = PathSet)]
[OutputType(typeof(ModelInfo))]
public sealed class GetDigitModelCommand : HandWriteCmdlet
{
    const string PathSet = "Path";
    const string LiteralPathSet = "LiteralPath";

    /// <summary>Model files, wildcards allowed (./models/*.hwm); none: the default model. Binds this cmdlet's own
    /// results by their Path, as Get-Item's -Path does.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string[]? Path { get; set; }

    /// <summary>Model files taken as written. Files from Get-ChildItem (PSPath) and results of Invoke-DigitTraining
    /// (ModelPath) bind here by property name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "ModelPath", "FullName")]
    public string[] LiteralPath { get; set; } = [];

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiteralPathSet)
            foreach (var path in LiteralPath) Write(ResolveLiteralPath(path));
        else if (Path is not { Length: > 0 })
            Write(ResolveModelPath(null));
        else
            foreach (var pattern in Path)
                foreach (var match in ResolvePattern(pattern, "Model", "the path of a model file (.hwm)")) Write(match);
    }

    void Write(string path)
    {
        try
        {
            WriteObject(PSTypeNames.Tag(new ModelInfo(ModelFile.ReadInfo(path)), PSTypeNames.ModelInfo));
        }
        catch (HandWriteException ex)
        {
            WriteError(HandWriteErrors.From(ex, "Model", path));
        }
    }
}
