using System.Management.Automation;
using System.Text.RegularExpressions;

namespace HandWrite.Tests.PowerShell;

/// <summary>Invoke-DigitTraining, Test-DigitModel and Get-DigitModel through the engine, on the fixture's tiny run.</summary>
[Collection(EngineTrainedModelCollection.Name)]
public sealed class ModelCmdletTests(EngineTrainedModelFixture model)
{
    /// <summary>The object as <c>Format-List</c> shows it in an 80-column console, a line each, trailing spaces cut.</summary>
    static List<string> ListViewLines(PSObject o)
    {
        var run = PowerShellHarness.Run("param($O) $O | Format-List | Out-String -Width 80",
            new Dictionary<string, object> { ["O"] = o }).AssertNoErrors();
        return run.Output.Single().ToString().Split('\n').Select(l => l.TrimEnd()).ToList();
    }

    [Fact]
    public void Training_returns_its_result_with_history_side_files_progress_and_verbose_epochs()
    {
        var training = model.Training;
        Assert.Equal("HandWrite.TrainingResult", training.TypeNames[0]);
        Assert.Equal(model.ModelPath, training.Get<string>("ModelPath"));
        var epoch = Assert.Single(training.Get<PSObject[]>("History"));
        Assert.Equal(1, epoch.Get<int>("Epoch"));
        Assert.True(epoch.Get<bool>("IsBest"));
        Assert.Equal(epoch.Get<double>("ValidationAccuracy"), training.Get<double>("BestValidationAccuracy"));
        Assert.Equal(1, training.Get<int>("BestEpoch"));
        Assert.True(training.Get<double>("ImagesPerSecond") > 0);
        Assert.True(File.Exists(training.Get<string>("MetricsPath")));
        Assert.True(File.Exists(model.ModelPath));
        Assert.Contains(model.Run.Verbose, v => v.Contains("Epoch 1/1"));
        Assert.Contains(model.Run.Progress, p => p.Activity == "Epoch 1" && p.StatusDescription.Contains("images/s"));
        Assert.Contains(model.Run.Progress, p => p.Activity == "Training" && p.RecordType == ProgressRecordType.Completed);
    }

    [Fact]
    public void Training_result_list_view_keeps_each_epoch_on_one_line_in_an_80_column_console()
    {
        var lines = ListViewLines(model.Training);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^History\s+: Epoch\s+TrainLoss\s+ValidationLoss\s+ValidationAccuracy\s+Best$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^\s+1\s+\d+[.,]\d{4}\s+\d+[.,]\d{4}\s+\d+[.,]\d\d ?%\s+\*$"));
    }

    [Fact]
    public void Training_result_piped_into_Test_DigitModel_binds_the_model_it_wrote()
    {
        var test = model.Test;
        Assert.Equal("HandWrite.ModelTestResult", test.TypeNames[0]);
        Assert.Equal(model.ModelPath, test.Get<string>("ModelPath"));
        Assert.Equal(30, test.Get<int>("Count"));
        int correct = test.Get<int>("Correct");
        Assert.Equal(correct / 30.0, test.Get<double>("Accuracy"), 9);
        var matrix = test.Get<int[][]>("ConfusionMatrix");
        Assert.Equal(10, matrix.Length);
        Assert.All(matrix, row => Assert.Equal(10, row.Length));
        Assert.Equal(correct, Enumerable.Range(0, 10).Sum(d => matrix[d][d]));
        var perClass = test.Get<PSObject[]>("PerClass");
        Assert.Equal(Enumerable.Range(0, 10), perClass.Select(c => c.Get<int>("Digit")));
        Assert.All(perClass, c => Assert.Equal(3, c.Get<int>("Support")));
        Assert.Empty(test.Get<string[]>("ReportFiles"));
    }

    [Fact]
    public void Test_result_list_view_puts_each_table_header_beside_its_label()
    {
        var lines = ListViewLines(model.Test);
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^PerClass\s+: Digit\s+Precision\s+Recall\s+F1\s+Support$"));
        Assert.Contains(lines, l => Regex.IsMatch(l, @"^ConfusionMatrix\s+: truth\\pred\s+0\s+1"));
    }

    [Fact]
    public void Measure_DigitModel_Quick_returns_one_object_with_side_by_side_figures()
    {
        var run = PowerShellHarness.Run("param($M, $D) Get-DigitModel -LiteralPath $M | Measure-DigitModel -Quick -DataPath $D -Threads 1",
            new Dictionary<string, object> { ["M"] = model.ModelPath, ["D"] = PowerShellHarness.MnistPath }).AssertNoErrors();
        var result = Assert.Single(run.Output);
        var list = ListViewLines(result);
        Assert.Contains(list, l => Regex.IsMatch(l, @"^TrainImagesPerSecond\s+: \d{1,3}([,.\u00a0\u202f]\d{3})*$")); // whole images, grouped
        Assert.Contains(list, l => Regex.IsMatch(l, @"^PredictP50Milliseconds\s+: \d+[.,]\d\d$"));
        Assert.Contains(list, l => Regex.IsMatch(l, @"^TrainSpeedupVsNaive\s+: \d+[.,]\d\dx$"));
        Assert.Equal("HandWrite.BenchmarkResult", result.TypeNames[0]);
        Assert.Equal(model.ModelPath, result.Get<string>("ModelPath")); // bound from Get-DigitModel's result by its Path
        Assert.Equal(1, result.Get<int>("Threads"));
        foreach (var figure in new[] { "MatmulFloat32GFlops", "NaiveTrainImagesPerSecond", "TrainImagesPerSecond", "EvalImagesPerSecond", "PredictP50Milliseconds", "PeakWorkingSetMegabytes" })
            Assert.True(result.Get<double>(figure) is > 0 and < double.PositiveInfinity, $"{figure} = {result.Get<double>(figure)}");
        Assert.Equal(result.Get<double>("TrainImagesPerSecond") / result.Get<double>("NaiveTrainImagesPerSecond"), result.Get<double>("TrainSpeedupVsNaive"), 6);
        Assert.Contains(run.Progress, p => p.Activity == "Measuring HandWrite");
    }

    [Fact]
    public void Several_model_paths_at_once_are_tested_as_one_ensemble()
    {
        var folder = TestEnvironment.NewTempFolder("ensemble");
        try
        {
            // The same weights twice average to themselves: the ensemble must score exactly as the model does.
            var copy = Path.Combine(folder, "copy.hwm");
            File.Copy(model.ModelPath, copy);
            var run = PowerShellHarness.Run("param($A, $B, $L) Test-DigitModel -ModelPath $A, $B -LabeledFolder $L",
                new Dictionary<string, object> { ["A"] = model.ModelPath, ["B"] = copy, ["L"] = model.LabeledFolder });
            run.AssertNoErrors();
            var ensemble = Assert.Single(run.Output);
            Assert.Equal($"{model.ModelPath}, {copy}", ensemble.Get<string>("ModelPath"));
            Assert.Equal(model.Test.Get<int>("Correct"), ensemble.Get<int>("Correct"));
            Assert.Equal(model.Test.Get<double>("Loss"), ensemble.Get<double>("Loss"), 5);
            // The table view names every member, not just the last one.
            var table = PowerShellHarness.Run("param($O) $O | Format-Table | Out-String -Width 120", new Dictionary<string, object> { ["O"] = ensemble })
                .AssertNoErrors().Output.Single().ToString();
            Assert.Contains("tiny.hwm + copy.hwm", table);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void A_run_with_no_validation_images_reports_no_validation_accuracy_rather_than_NaN()
    {
        var folder = TestEnvironment.NewTempFolder("unvalidated");
        try
        {
            var run = PowerShellHarness.Run("""
                param($M, $D)
                $r = Invoke-DigitTraining -ValidationSize 0 -Subset 300 -Epochs 2 -ModelPath $M -DataPath $D -Verbose
                $r
                Get-DigitModel -LiteralPath $M
                ($r | Format-Table | Out-String -Width 120) + ($r.History | Format-Table | Out-String -Width 120) + (Get-DigitModel -LiteralPath $M | Format-Table | Out-String -Width 120)
                """, new Dictionary<string, object> { ["M"] = Path.Combine(folder, "all.hwm"), ["D"] = PowerShellHarness.MnistPath }).AssertNoErrors();
            var (training, info, text) = (run.Output[0], run.Output[1], run.Output[2].ToString());
            Assert.Null(training.Properties["BestValidationAccuracy"].Value);
            Assert.Equal(2, training.Get<int>("BestEpoch"));
            Assert.All(training.Get<PSObject[]>("History"), e => Assert.True(e.Properties["ValidationAccuracy"].Value is null && e.Get<bool>("IsBest")));
            Assert.Null(info.Properties["ValidationAccuracy"].Value);
            Assert.Equal(2, info.Get<int>("Epochs"));
            Assert.DoesNotContain("NaN", text);
            Assert.Contains("all.hwm", text);
            Assert.Contains(run.Verbose, v => v.Contains("no validation images: the last epoch is kept"));
            Assert.Contains(run.Verbose, v => v.StartsWith("Epoch 2/2") && v.Contains("no validation, saved"));
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Get_DigitModel_reads_files_from_Get_ChildItem_and_reports_a_corrupt_one_without_stopping()
    {
        var folder = TestEnvironment.NewTempFolder("models");
        try
        {
            File.Copy(model.ModelPath, Path.Combine(folder, "b.hwm"));
            File.WriteAllBytes(Path.Combine(folder, "a.hwm"), new byte[100]);
            var run = PowerShellHarness.Run("param($F) Get-ChildItem -LiteralPath $F -Filter *.hwm | Sort-Object Name | Get-DigitModel", new Dictionary<string, object> { ["F"] = folder });
            var error = Assert.Single(run.Errors);
            Assert.Equal(ErrorCategory.InvalidData, error.CategoryInfo.Category);
            Assert.Equal(Path.Combine(folder, "a.hwm"), error.TargetObject);
            var info = Assert.Single(run.Output);
            Assert.Equal("HandWrite.ModelInfo", info.TypeNames[0]);
            Assert.Equal(Path.Combine(folder, "b.hwm"), info.Get<string>("Path"));
            Assert.Equal(1, info.Get<int>("Epochs"));
            Assert.Equal(model.Training.Get<double>("BestValidationAccuracy"), info.Get<double>("ValidationAccuracy"));
            Assert.Matches("^[0-9a-f]{64}$", info.Get<string>("WeightsSha256"));
            Assert.True(info.Get<long>("ParameterCount") > 0);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Get_DigitModel_expands_wildcards_takes_brackets_literally_and_rebinds_its_own_results()
    {
        var folder = TestEnvironment.NewTempFolder("model-paths");
        try
        {
            File.Copy(model.ModelPath, Path.Combine(folder, "b.hwm"));
            File.Copy(model.ModelPath, Path.Combine(folder, "c[1].hwm"));
            var run = PowerShellHarness.Run("""
                param($F, $T)
                Set-Location -LiteralPath $F
                [pscustomobject]@{ Case = 'wildcard'; Paths = @(Get-DigitModel *.hwm | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'names'; Paths = @(Get-DigitModel *.hwm | Sort-Object Name -Descending | ForEach-Object Name) }
                [pscustomobject]@{ Case = 'literal'; Paths = @(Get-DigitModel -LiteralPath 'c[1].hwm' | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'pattern'; Paths = @(Get-DigitModel 'c[1].hwm' | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'rebind'; Paths = @(Get-DigitModel b.hwm | Get-DigitModel | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'rebind-brackets'; Paths = @(Get-DigitModel -LiteralPath 'c[1].hwm' | Get-DigitModel | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'property'; Paths = @([pscustomobject]@{ Path = 'b*' } | Get-DigitModel | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'none'; Paths = @(Get-DigitModel nothing*.hwm | ForEach-Object Path) }
                [pscustomobject]@{ Case = 'training'; Paths = @($T | Get-DigitModel | ForEach-Object Path) }
                """, new Dictionary<string, object> { ["F"] = folder, ["T"] = model.Training });
            var paths = run.Output.ToDictionary(o => o.Get<string>("Case"), o => o.Get<object[]>("Paths").Select(p => p.ToString()).ToList());
            Assert.Equal([Path.Combine(folder, "b.hwm"), Path.Combine(folder, "c[1].hwm")], paths["wildcard"].Order(StringComparer.Ordinal));
            Assert.Equal([Path.Combine(folder, "c[1].hwm")], paths["literal"]);
            Assert.Equal(["c[1].hwm", "b.hwm"], paths["names"]);
            Assert.Empty(paths["pattern"]); // [1] is a character class: it names c1.hwm, which is not there
            Assert.Equal([Path.Combine(folder, "b.hwm")], paths["rebind"]);
            Assert.Equal([Path.Combine(folder, "c[1].hwm")], paths["rebind-brackets"]); // its own results bind by type, literally
            Assert.Equal([Path.Combine(folder, "b.hwm")], paths["property"]); // other objects' Path is a pattern, as for Get-Item
            Assert.Empty(paths["none"]);
            Assert.Equal([model.ModelPath], paths["training"]); // Invoke-DigitTraining's result binds by its ModelPath
            Assert.Equal(2, run.Errors.Count);
            Assert.All(run.Errors, e => Assert.Equal(ErrorCategory.ObjectNotFound, e.CategoryInfo.Category));
            Assert.Equal(["c[1].hwm", "nothing*.hwm"], run.Errors.Select(e => e.TargetObject?.ToString()));
            Assert.Contains("-LiteralPath", run.Errors[0].ToString());
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void ReportFolder_gets_confusion_and_failure_charts_and_the_views_show_accuracy_as_a_percentage()
    {
        var reports = TestEnvironment.NewTempFolder("reports");
        try
        {
            var run = PowerShellHarness.Run("""
                param($Model, $Labeled, $Reports)
                $result = Get-DigitModel $Model | Test-DigitModel -LabeledFolder $Labeled -ReportFolder $Reports
                $result
                $result | Out-String -Width 200
                """, new Dictionary<string, object> { ["Model"] = model.ModelPath, ["Labeled"] = model.LabeledFolder, ["Reports"] = reports }).AssertNoErrors();
            var files = run.Output[0].Get<string[]>("ReportFiles");
            Assert.Equal(["tiny.confusion.png", "tiny.failures.png"], files.Select(Path.GetFileName));
            foreach (var file in files)
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(file).Take(4).ToArray());
            var table = run.Output[1].ToString();
            Assert.Matches(@"tiny\.hwm\s+labeled\s+\d+[.,]\d\d ?%\s+\d+\s+30", table);
        }
        finally { Directory.Delete(reports, true); }
    }
}
