using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Model;

namespace HandWrite.PowerShell;

/// <summary>Reads what a model file says about itself, without loading it for prediction.</summary>
[Cmdlet(VerbsCommon.Get, "DigitModel")]
[OutputType(typeof(ModelInfo))]
public sealed class GetDigitModelCommand : HandWriteCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")]
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string[]? ModelPath { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string? given in ModelPath is { Length: > 0 } ? ModelPath : new string?[] { null })
        {
            var path = ResolveModelPath(given);
            try
            {
                var info = ModelFile.ReadInfo(path);
                WriteObject(PSTypeNames.Tag(new ModelInfo(info), PSTypeNames.ModelInfo));
            }
            catch (HandWriteException ex)
            {
                WriteError(HandWriteErrors.From(ex, "Model", path));
            }
        }
    }
}
