using System.Globalization;
using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Training;

namespace HandWrite.PowerShell;

/// <summary>Trains the digit network on MNIST and saves the best epoch's weights to -ModelPath.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "DigitTraining", SupportsShouldProcess = true)]
[OutputType(typeof(TrainingResult))]
public sealed class InvokeDigitTrainingCommand : HandWriteCmdlet
{
    const int EpochActivityId = 1;
    const int BatchActivityId = 2;
    static readonly TrainingOptions Defaults = new();

    [Parameter(Position = 0)]
    [ValidateRange(1, 1000)]
    public int Epochs { get; set; } = Defaults.Epochs;

    [Parameter]
    [ValidateRange(1, 4096)]
    public int BatchSize { get; set; } = Defaults.BatchSize;

    [Parameter]
    [ValidateRange(1e-7, 0.999)]
    public double LearningRate { get; set; } = Defaults.LearningRate;

    [Parameter]
    public long Seed { get; set; } = Defaults.Seed;

    [Parameter]
    public string? DataPath { get; set; }

    [Parameter]
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string? ModelPath { get; set; }

    [Parameter]
    [ValidateRange(0, 30000)]
    public int ValidationSize { get; set; } = Defaults.ValidationSize;

    [Parameter]
    [ValidateRange(1, 60000)]
    public int Subset { get; set; }

    [Parameter]
    public SwitchParameter Resume { get; set; }

    [Parameter]
    public TrainingPreset Preset { get; set; } = Defaults.Preset;

    [Parameter]
    public TrainingPrecision Precision { get; set; } = Defaults.Precision;

    protected override void EndProcessing()
    {
        // Where the model is written: the user's own default, never the model shipped with the module.
        var modelPath = string.IsNullOrEmpty(ModelPath) ? Paths.DefaultModelPath : ResolveLiteralPath(ModelPath);
        var options = new TrainingOptions
        {
            Epochs = Epochs,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            Seed = Seed,
            ValidationSize = ValidationSize,
            Subset = MyInvocation.BoundParameters.ContainsKey(nameof(Subset)) ? Subset : null,
            DataPath = ResolveOptionalPath(DataPath),
            ModelPath = modelPath,
            Resume = Resume,
            Preset = Preset,
            Precision = Precision,
        };
        var action = string.Format(CultureInfo.InvariantCulture, "Train {0} epoch(s) ({1} preset{2}) and write the model",
            Epochs, Preset, Resume ? ", resuming" : "");
        if (!ShouldProcess(modelPath, action)) return;
        EnsureTorchRuntime();

        TrainingOutcome outcome;
        try
        {
            options.Validate();
            // Before the first batch: minutes of training must not end in "cannot write".
            Trainer.CheckOutputWritable(modelPath);
            outcome = RunWithRelay(relay => Trainer.Train(options,
                new PipelineRelay.Relay<TrainingProgress>(p => ReportProgress(relay, p)),
                relay.Verbose, CancellationToken, relay.DataProgress()));
        }
        catch (HandWriteException ex)
        {
            ThrowCoreFailure(ex, "Training", ex.Target ?? modelPath);
            return;
        }
        WriteProgress(new ProgressRecord(BatchActivityId, "Epoch", "Done") { ParentActivityId = EpochActivityId, RecordType = ProgressRecordType.Completed });
        WriteProgress(new ProgressRecord(EpochActivityId, "Training", "Done") { RecordType = ProgressRecordType.Completed });
        WriteObject(PSTypeNames.Tag(new TrainingResult(outcome), PSTypeNames.TrainingResult));
    }

    /// <summary>Two bars: the whole run (epochs) and the current epoch (batches, loss, accuracy, speed).</summary>
    static void ReportProgress(PipelineRelay relay, TrainingProgress p)
    {
        double done = ((p.Epoch - 1) + (double)p.Batch / p.BatchesPerEpoch) / p.Epochs;
        relay.Progress(new ProgressRecord(EpochActivityId, "Training", $"Epoch {p.Epoch} of {p.Epochs}")
        {
            PercentComplete = (int)Math.Clamp(done * 100, 0, 100),
        });
        relay.Progress(new ProgressRecord(BatchActivityId, $"Epoch {p.Epoch}",
            string.Format(CultureInfo.InvariantCulture, "batch {0}/{1}  loss {2:F4}  accuracy {3:P2}  {4:F0} images/s",
                p.Batch, p.BatchesPerEpoch, p.Loss, p.Accuracy, p.ImagesPerSecond))
        {
            ParentActivityId = EpochActivityId,
            PercentComplete = (int)Math.Clamp(100.0 * p.Batch / p.BatchesPerEpoch, 0, 100),
        });
    }
}
