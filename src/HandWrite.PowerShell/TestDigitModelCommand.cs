using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Reports;

namespace HandWrite.PowerShell;

/// <summary>Measures a model on the MNIST test set or on a folder of labeled images.</summary>
[Cmdlet(VerbsDiagnostic.Test, "DigitModel", DefaultParameterSetName = MnistSet, SupportsShouldProcess = true)]
[OutputType(typeof(ModelTestResult))]
public sealed class TestDigitModelCommand : HandWriteCmdlet
{
    const string MnistSet = "Mnist";
    const string FolderSet = "LabeledFolder";

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")]
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string[]? ModelPath { get; set; }

    [Parameter(ParameterSetName = MnistSet)]
    public string? DataPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = FolderSet)]
    public string LabeledFolder { get; set; } = "";

    [Parameter]
    public string? ReportFolder { get; set; }

    /// <summary>With -LabeledFolder: Naive feeds images the way most digit projects do (greyscale, stretched to 28x28), to see what HandWrite's preprocessing is worth.</summary>
    [Parameter(ParameterSetName = FolderSet)]
    public HandWrite.Core.Imaging.Preprocessing Preprocessing { get; set; } = HandWrite.Core.Imaging.Preprocessing.HandWrite;

    protected override void ProcessRecord()
    {
        // Several paths given at once are one ensemble (softmax averaged); piped models are tested one by one.
        var modelPaths = ResolveModelPaths(ModelPath);
        var modelPath = string.Join(", ", modelPaths);
        EnsureTorchRuntime();
        EvaluationReport report;
        try
        {
            if (ParameterSetName == FolderSet)
            {
                var folder = ResolveLiteralPath(LabeledFolder);
                report = RunWithRelay(relay => Evaluator.OnLabeledFolder(modelPaths, folder,
                    (file, ex) => relay.Error(HandWriteErrors.From(ex, "Image", file)),
                    relay.DataProgress(), CancellationToken, Preprocessing));
            }
            else
            {
                var dataPath = ResolveOptionalPath(DataPath);
                report = RunWithRelay(relay => Evaluator.OnMnistTest(modelPaths, dataPath, relay.DataProgress(), CancellationToken));
            }
        }
        catch (HandWriteException ex)
        {
            // One model failing (missing, corrupt) must not stop the others piped in.
            WriteError(HandWriteErrors.From(ex, "Test", ex.Target ?? modelPath));
            return;
        }

        var reportFiles = ReportFolder is null ? [] : WriteReports(report, ResolveLiteralPath(ReportFolder));
        WriteObject(PSTypeNames.Tag(new ModelTestResult(report, reportFiles), PSTypeNames.ModelTestResult));
    }

    /// <summary>Confusion matrix and failures sheet, named after the model so several models can share a folder.</summary>
    string[] WriteReports(EvaluationReport report, string folder)
    {
        var name = string.Join("+", report.ModelPath.Split(", ").Select(Path.GetFileNameWithoutExtension));
        var confusion = Path.Combine(folder, name + ".confusion.png");
        var failures = Path.Combine(folder, name + ".failures.png");
        var written = new List<string>();
        // -WhatIf and -Confirm cover the files only: the test itself changes nothing.
        if (!ShouldProcess(folder, $"Write the charts {name}.confusion.png and {name}.failures.png")) return [];
        try
        {
            Directory.CreateDirectory(folder);
            Charts.ConfusionMatrix(report.ConfusionMatrix, confusion, $"{name} on {report.DataSet}: {report.Accuracy:P2}");
            written.Add(confusion);
            Charts.FailureSheet(report.Failures, failures);
            written.Add(failures);
        }
        catch (HandWriteException ex)
        {
            WriteError(HandWriteErrors.From(ex, "Report", folder));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            WriteError(HandWriteErrors.From(new HandWriteException(
                $"Cannot write reports to '{folder}' ({ex.Message.TrimEnd('.')}). Choose a -ReportFolder you can write to.",
                HandWriteErrorKind.PermissionDenied, ex, folder), "Report", folder));
        }
        return written.ToArray();
    }
}
