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
    const string InputObjectSet = "InputObject";

    /// <summary>Model files, wildcards allowed (./models/*.hwm); none: the default model. Objects with a Path
    /// property bind here, as with Get-Item's -Path.</summary>
    [Parameter(Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string[]? Path { get; set; }

    /// <summary>Model files taken as written. Files from Get-ChildItem (PSPath) and results of Invoke-DigitTraining
    /// (ModelPath) bind here by property name.</summary>
    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP", "ModelPath", "FullName")]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>This cmdlet's own results, read again from their files taken as written: a piped result binds here
    /// by its type before its Path could bind to -Path, where brackets in a name would be a pattern.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public ModelInfo[] InputObject { get; set; } = [];

    // Reading a model checks its layout against the network, which needs libtorch (fetched on an installed module's first use).
    protected override void BeginProcessing() => EnsureTorchRuntime();

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiteralPathSet)
            foreach (var path in LiteralPath) Write(ResolveLiteralPath(path));
        else if (ParameterSetName == InputObjectSet)
            foreach (var model in InputObject) Write(model.Path);
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
