using System.Diagnostics;
using System.Management.Automation;

namespace HandWrite.Tests.PowerShell;

/// <summary>The assembled module as pwsh sees it: exports, help, views, completion, and checks that run before any training.</summary>
public sealed class ModuleTests
{
    static readonly string[] Cmdlets = ["Get-DigitModel", "Get-DigitPrediction", "Invoke-DigitTraining", "Measure-DigitModel", "Test-DigitModel"];

    [Fact]
    public void Module_imports_and_exports_exactly_the_four_cmdlets()
    {
        var run = PowerShellHarness.Run("Get-Command -Module HandWrite | Sort-Object Name | ForEach-Object { '{0} {1}' -f $_.CommandType, $_.Name }").AssertNoErrors();
        Assert.Equal(Cmdlets.Select(c => "Cmdlet " + c), run.Output.Select(o => o.ToString()));
    }

    [Theory]
    [InlineData("Invoke-DigitTraining")]
    [InlineData("Test-DigitModel")]
    [InlineData("Get-DigitPrediction")]
    [InlineData("Get-DigitModel")]
    [InlineData("Measure-DigitModel")]
    public void Help_has_synopsis_description_every_parameter_and_examples(string cmdlet)
    {
        var run = PowerShellHarness.Run("""
            param($Name)
            $help = Get-Help $Name -Full
            $common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
            $declared = (Get-Command $Name).Parameters.Keys | Where-Object { $_ -notin $common }
            $documented = @{}
            foreach ($p in $help.parameters.parameter) { $documented[$p.name] = ($p.description.Text -join ' ').Trim() }
            # What help says of aliases and pipeline input must be what the cmdlet declares (help is hand-written).
            $drift = foreach ($p in $help.parameters.parameter) {
                $meta = (Get-Command $Name).Parameters[$p.name]
                if (-not $meta) { continue }
                $aliases = if ($meta.Aliases.Count) { $meta.Aliases -join ', ' } else { 'None' }
                $attributes = $meta.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] }
                $by = @(if ($attributes.ValueFromPipeline -contains $true) { 'ByValue' }; if ($attributes.ValueFromPipelineByPropertyName -contains $true) { 'ByPropertyName' })
                $pipeline = if ($by) { 'True (' + ($by -join ', ') + ')' } else { 'False' }
                if ($p.aliases -ne $aliases) { "$($p.name): help says aliases '$($p.aliases)', the cmdlet has '$aliases'" }
                if ($p.pipelineInput -ne $pipeline) { "$($p.name): help says pipeline input '$($p.pipelineInput)', the cmdlet takes '$pipeline'" }
            }
            [pscustomobject]@{
                Drift = @($drift)
                Synopsis = $help.Synopsis.Trim()
                Description = ($help.description.Text -join ' ').Trim()
                Undocumented = @($declared | Where-Object { -not $documented[$_] })
                Examples = @($help.examples.example | Where-Object { $_.code -match $Name -or $_.code -match '\|' }).Count
            }
            """, new Dictionary<string, object> { ["Name"] = cmdlet }).AssertNoErrors();
        var help = Assert.Single(run.Output);
        Assert.DoesNotContain(cmdlet, help.Get<string>("Synopsis")); // an auto-generated synopsis is the syntax line
        Assert.True(help.Get<string>("Description").Length > 100, $"{cmdlet}: description too short: {help.Get<string>("Description")}");
        Assert.Empty(help.Get<string[]>("Undocumented"));
        Assert.Empty(help.Get<object[]>("Drift").Select(d => d.ToString()));
        Assert.True(help.Get<int>("Examples") >= 3, $"{cmdlet}: {help.Get<int>("Examples")} examples");
    }

    [Theory]
    [InlineData("HandWrite.TrainingResult", true)]
    [InlineData("HandWrite.ModelTestResult", true)]
    [InlineData("HandWrite.DigitPrediction", true)]
    [InlineData("HandWrite.ModelInfo", true)]
    [InlineData("HandWrite.BenchmarkResult", true)]
    [InlineData("HandWrite.PowerShell.TrainingEpoch", false)]
    [InlineData("HandWrite.PowerShell.DigitClassMetrics", false)]
    [InlineData("HandWrite.PowerShell.DataSetAccuracy", false)]
    [InlineData("HandWrite.PowerShell.DigitProbability", false)]
    public void Every_output_type_has_a_table_view_and_detailed_ones_a_list_view(string typeName, bool hasList)
    {
        var run = PowerShellHarness.Run("param($T) (Get-FormatData -TypeName $T).FormatViewDefinition | ForEach-Object { $_.Control.GetType().Name }",
            new Dictionary<string, object> { ["T"] = typeName }).AssertNoErrors();
        var controls = run.Output.Select(o => o.ToString()).ToList();
        Assert.Equal("TableControl", controls.FirstOrDefault()); // the first view is the default
        Assert.Equal(hasList, controls.Contains("ListControl"));
    }

    [Fact]
    public void ModelPath_completes_model_files_and_folders_but_not_other_files()
    {
        var folder = TestEnvironment.NewTempFolder("complete");
        try
        {
            File.WriteAllText(Path.Combine(folder, "alpha.hwm"), "");
            File.WriteAllText(Path.Combine(folder, "alpha.txt"), "");
            Directory.CreateDirectory(Path.Combine(folder, "archive"));
            var run = PowerShellHarness.Run("""
                $line = 'Get-DigitPrediction x.png -ModelPath a'
                (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText
                """, location: folder).AssertNoErrors();
            Assert.Equal(["alpha.hwm", "archive" + Path.DirectorySeparatorChar], run.Output.Select(o => o.ToString()).Order(StringComparer.Ordinal));
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void WhatIf_trains_nothing_and_writes_nothing()
    {
        var folder = TestEnvironment.NewTempFolder("whatif");
        try
        {
            var clock = Stopwatch.StartNew();
            var run = PowerShellHarness.Run("param($M, $D) Invoke-DigitTraining -ModelPath $M -DataPath $D -Epochs 1 -Subset 1000 -WhatIf",
                new Dictionary<string, object> { ["M"] = Path.Combine(folder, "m.hwm"), ["D"] = PowerShellHarness.MnistPath }).AssertNoErrors();
            Assert.Empty(run.Output);
            Assert.Empty(run.Progress);
            Assert.Empty(Directory.EnumerateFileSystemEntries(folder));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"-WhatIf took {clock.Elapsed}");
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Unwritable_model_path_fails_before_training_with_PermissionDenied()
    {
        var folder = TestEnvironment.NewTempFolder("unwritable");
        try
        {
            // A folder cannot be created where a file is: unwritable even for root, who ignores permissions.
            var blocker = Path.Combine(folder, "file");
            File.WriteAllText(blocker, "");
            var modelPath = Path.Combine(blocker, "m.hwm");
            var clock = Stopwatch.StartNew();
            var run = PowerShellHarness.Run("param($M, $D) Invoke-DigitTraining -ModelPath $M -DataPath $D -Epochs 1 -Subset 1000 -Verbose",
                new Dictionary<string, object> { ["M"] = modelPath, ["D"] = PowerShellHarness.MnistPath });
            var error = Assert.Single(run.Errors);
            Assert.Equal(ErrorCategory.PermissionDenied, error.CategoryInfo.Category);
            Assert.StartsWith("HandWrite.", error.FullyQualifiedErrorId);
            Assert.Equal(modelPath, error.TargetObject);
            Assert.Contains("-ModelPath", error.ErrorDetails.Message);
            Assert.Empty(run.Output);
            Assert.Empty(run.Progress); // no batch ran
            Assert.DoesNotContain(run.Verbose, v => v.Contains("Epoch"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"failing took {clock.Elapsed}");
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Missing_model_stops_prediction_with_ObjectNotFound_naming_the_model()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-model-{Guid.NewGuid():N}.hwm");
        var run = PowerShellHarness.Run("param($M, $I) Get-DigitPrediction -Path $I -ModelPath $M",
            new Dictionary<string, object> { ["M"] = missing, ["I"] = PowerShellHarness.WildDigitsPath });
        var error = Assert.Single(run.Errors);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal("HandWrite.ModelNotFound,HandWrite.PowerShell.GetDigitPredictionCommand", error.FullyQualifiedErrorId);
        Assert.Equal(missing, error.TargetObject);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void Stopping_the_pipeline_cancels_training_mid_epoch()
    {
        var folder = TestEnvironment.NewTempFolder("stop");
        try
        {
            using var shell = PowerShellHarness.CreateShell();
            shell.AddCommand("Invoke-DigitTraining").AddParameter("ModelPath", Path.Combine(folder, "m.hwm"))
                .AddParameter("DataPath", PowerShellHarness.MnistPath).AddParameter("Subset", 20000).AddParameter("Epochs", 3);
            using var firstBatch = new ManualResetEventSlim();
            shell.Streams.Progress.DataAdded += (_, _) => firstBatch.Set();
            var invocation = shell.BeginInvoke();
            Assert.True(firstBatch.Wait(TimeSpan.FromMinutes(2)), "no progress from training");
            var clock = Stopwatch.StartNew();
            shell.Stop();
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {clock.Elapsed}");
            Assert.Equal(PSInvocationState.Stopped, shell.InvocationStateInfo.State);
            Assert.Throws<PipelineStoppedException>(() => shell.EndInvoke(invocation));
            Assert.False(File.Exists(Path.Combine(folder, "m.hwm"))); // no epoch finished
            // The session goes on: the same runspace runs the next command.
            shell.Commands.Clear();
            Assert.Single(shell.AddCommand("Get-Command").AddParameter("Name", "Invoke-DigitTraining").Invoke());
        }
        finally { Directory.Delete(folder, true); }
    }
}
