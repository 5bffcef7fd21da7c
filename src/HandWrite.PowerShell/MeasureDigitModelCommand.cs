using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Benchmarks;
using HandWrite.Core.Model;

namespace HandWrite.PowerShell;

/// <summary>
/// Measures how fast this machine trains and runs the HandWrite CNN: the matmul ceiling, the plain
/// TorchSharp loop and HandWrite's trainer side by side in one run, evaluation, one-image latency,
/// cold start and peak memory. Returns one object.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "DigitModel")]
[OutputType(typeof(BenchmarkResult))]
public sealed class MeasureDigitModelCommand : HandWriteCmdlet
{
    /// <summary>Under a minute: fewer images and repeats, noisier figures.</summary>
    [Parameter]
    public SwitchParameter Quick { get; set; }

    [Parameter]
    public string? DataPath { get; set; }

    /// <summary>A trained model for the prediction and evaluation timings; without it a fresh network is timed.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("Path", "FullName")] // as Test-DigitModel: Get-DigitModel's results and files from Get-ChildItem bind
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string? ModelPath { get; set; }

    /// <summary>The image timed end to end; without it an MNIST test digit drawn as a 280x280 PNG.</summary>
    [Parameter]
    public string? SamplePath { get; set; }

    /// <summary>libtorch threads for the benchmark's own work (other work in the session keeps its thread count).</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int? Threads { get; set; }

    protected override void EndProcessing()
    {
        EnsureTorchRuntime();
        var options = new BenchmarkOptions
        {
            Quick = Quick.IsPresent,
            DataPath = ResolveOptionalPath(DataPath),
            ModelPath = ResolveOptionalPath(ModelPath),
            SamplePng = ResolveOptionalPath(SamplePath),
            Threads = Threads,
            // The cold start is a new process of this pwsh importing this module.
            Pwsh = SessionState.PSVariable.GetValue("PSHOME") is string home ? System.IO.Path.Combine(home, OperatingSystem.IsWindows() ? "pwsh.exe" : "pwsh") : null,
            ModuleManifest = MyInvocation.MyCommand.Module?.Path,
        };
        // Minutes of measuring must not end in "no model" or "no picture": what the user named is checked first.
        if (options.ModelPath is { } model)
        {
            try { ModelFile.ReadInfo(model); }
            catch (HandWriteException ex) { ThrowCoreFailure(ex, "Model", model); }
        }
        if (options.SamplePng is { } sample && !File.Exists(sample))
            ThrowCoreFailure(new HandWriteException($"'{sample}' does not exist. Give -SamplePath an existing picture, or leave it out to time a drawn MNIST digit.",
                HandWriteErrorKind.NotFound, target: sample), "Image", sample);
        try
        {
            var result = RunWithRelay(relay => ModelBenchmark.Run(options,
                new PipelineRelay.Relay<string>(step => relay.Progress(new ProgressRecord(4, "Measuring HandWrite", step))),
                CancellationToken));
            WriteObject(PSTypeNames.Tag(result, PSTypeNames.BenchmarkResult));
        }
        catch (HandWriteException ex)
        {
            ThrowCoreFailure(ex, "Benchmark", options.ModelPath ?? options.DataPath);
        }
    }
}
