using System.Management.Automation;

namespace HandWrite.Tests.PowerShell;

/// <summary>
/// One tiny model trained through the engine (`Invoke-DigitTraining | Test-DigitModel`) and shared by
/// the PowerShell tests: a few seconds of training, not an accurate model (the accuracy floor is
/// Core's test). Also a folder of real hand-drawn digits laid out as &lt;digit&gt;/&lt;file&gt;.
/// </summary>
public sealed class EngineTrainedModelFixture : IDisposable
{
    public string Folder { get; } = TestEnvironment.NewTempFolder("ps-tests");
    public string ModelPath => Path.Combine(Folder, "tiny.hwm");
    /// <summary>What Invoke-DigitTraining wrote to the pipeline.</summary>
    public PSObject Training { get; }
    /// <summary>What Test-DigitModel wrote for it, bound from the pipeline.</summary>
    public PSObject Test { get; }
    public ShellRun Run { get; }
    /// <summary>Three digits per class from the wild-digits benchmark: labeled/&lt;digit&gt;/&lt;n&gt;.png.</summary>
    public string LabeledFolder => Path.Combine(Folder, "labeled");

    public EngineTrainedModelFixture()
    {
        CopyLabeledDigits();
        Run = PowerShellHarness.Run("""
            param($ModelPath, $DataPath, $LabeledFolder)
            Invoke-DigitTraining -Subset 2000 -Epochs 1 -ValidationSize 500 -DataPath $DataPath -ModelPath $ModelPath -Verbose |
                Tee-Object -Variable training |
                Test-DigitModel -LabeledFolder $LabeledFolder
            $training
            """, new Dictionary<string, object> { ["ModelPath"] = ModelPath, ["DataPath"] = PowerShellHarness.MnistPath, ["LabeledFolder"] = LabeledFolder });
        Run.AssertNoErrors();
        Assert.Equal(2, Run.Output.Count);
        Test = Run.Output[0];
        Training = Run.Output[1];
    }

    void CopyLabeledDigits()
    {
        var source = Path.Combine(PowerShellHarness.WildDigitsPath, "paint-32px");
        for (int digit = 0; digit < 10; digit++)
        {
            var target = Directory.CreateDirectory(Path.Combine(LabeledFolder, digit.ToString())).FullName;
            foreach (var file in Directory.GetFiles(Path.Combine(source, digit.ToString()), "*.png").Order(StringComparer.Ordinal).Take(3))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class EngineTrainedModelCollection : ICollectionFixture<EngineTrainedModelFixture>
{
    public const string Name = "PowerShell engine with a trained model";
}
