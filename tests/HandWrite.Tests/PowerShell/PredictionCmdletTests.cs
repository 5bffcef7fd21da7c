using System.Management.Automation;
using HandWrite.Core.Imaging;

namespace HandWrite.Tests.PowerShell;

/// <summary>Get-DigitPrediction through the engine: how paths bind and resolve, and how bad input is reported.</summary>
[Collection(EngineTrainedModelCollection.Name)]
public sealed class PredictionCmdletTests(EngineTrainedModelFixture model) : IDisposable
{
    readonly string work = TestEnvironment.NewTempFolder("predict");

    public void Dispose() => Directory.Delete(work, true);

    Dictionary<string, object> With(params (string Name, object Value)[] values)
    {
        var parameters = new Dictionary<string, object> { ["Model"] = model.ModelPath };
        foreach (var (name, value) in values) parameters[name] = value;
        return parameters;
    }

    static List<string> AllLabeled(EngineTrainedModelFixture model) =>
        Directory.GetFiles(model.LabeledFolder, "*.png", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

    static void AssertWellFormed(PSObject prediction)
    {
        Assert.Equal("HandWrite.DigitPrediction", prediction.TypeNames[0]);
        var probabilities = prediction.Get<double[]>("Probabilities");
        Assert.Equal(10, probabilities.Length);
        Assert.InRange(probabilities.Sum(), 0.999, 1.001);
        int digit = prediction.Get<int>("Digit");
        Assert.Equal(probabilities.Max(), probabilities[digit]);
        Assert.Equal(probabilities[digit], prediction.Get<double>("Confidence"));
        var top = prediction.Get<PSObject[]>("Top").Select(t => (Digit: t.Get<int>("Digit"), Probability: t.Get<double>("Probability"))).ToList();
        Assert.Equal(3, top.Count);
        Assert.Equal(digit, top[0].Digit);
        Assert.True(top[0].Probability >= top[1].Probability && top[1].Probability >= top[2].Probability);
        Assert.Equal(prediction.Get<double>("Confidence") < 0.5, prediction.Get<bool>("LowConfidence"));
    }

    [Fact]
    public void FileInfo_objects_from_Get_ChildItem_bind_and_keep_their_order()
    {
        var run = PowerShellHarness.Run("param($Model, $Folder) Get-ChildItem -LiteralPath $Folder -Recurse -File | Sort-Object FullName | Get-DigitPrediction -ModelPath $Model",
            With(("Folder", model.LabeledFolder))).AssertNoErrors();
        Assert.Equal(AllLabeled(model), run.Output.Select(p => p.Get<string>("Path")));
        // The Name column of the table is a property too, so Sort-Object Name and Select-Object Name work.
        Assert.Equal(AllLabeled(model).Select(Path.GetFileName), run.Output.Select(p => p.Get<string>("Name")));
        foreach (var prediction in run.Output) AssertWellFormed(prediction);
    }

    [Fact]
    public void Path_expands_wildcards_and_folders_relative_to_the_location()
    {
        var run = PowerShellHarness.Run("param($Model) Get-DigitPrediction 7/*.png, 3 -ModelPath $Model", With(), location: model.LabeledFolder).AssertNoErrors();
        var expected = Directory.GetFiles(Path.Combine(model.LabeledFolder, "7")).Order(StringComparer.Ordinal)
            .Concat(Directory.GetFiles(Path.Combine(model.LabeledFolder, "3")).Order(StringComparer.Ordinal));
        Assert.Equal(expected, run.Output.Select(p => p.Get<string>("Path")));
    }

    [Fact]
    public void Brackets_in_a_name_work_with_LiteralPath_and_piped_files_but_are_a_pattern_for_Path()
    {
        var bracketed = Path.Combine(work, "form[3].png");
        File.Copy(AllLabeled(model)[0], bracketed);
        var run = PowerShellHarness.Run("""
            param($Model, $File)
            Get-DigitPrediction -LiteralPath $File -ModelPath $Model
            Get-Item -LiteralPath $File | Get-DigitPrediction -ModelPath $Model
            Get-DigitPrediction -Path $File -ModelPath $Model
            """, With(("File", bracketed)));
        Assert.Equal([bracketed, bracketed], run.Output.Select(p => p.Get<string>("Path")));
        var error = Assert.Single(run.Errors); // as a pattern, form[3].png means form3.png: there is none
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Contains("-LiteralPath", error.ErrorDetails.Message);
    }

    [Fact]
    public void Each_bad_input_is_one_error_with_category_and_target_and_the_rest_is_still_predicted()
    {
        var labeled = AllLabeled(model);
        var first = labeled[0];
        var last = labeled[^1];
        var missing = Path.Combine(work, "missing.png");
        var text = Path.Combine(work, "notes.png");
        File.WriteAllText(text, "this is not a picture");
        var empty = Directory.CreateDirectory(Path.Combine(work, "empty")).FullName;

        var run = PowerShellHarness.Run("param($Model, $Paths) $Paths | Get-DigitPrediction -ModelPath $Model",
            With(("Paths", new[] { first, missing, text, empty, last })));

        Assert.Equal([first, last], run.Output.Select(p => p.Get<string>("Path")));
        Assert.Equal(3, run.Errors.Count);
        var byTarget = run.Errors.ToDictionary(e => (string)e.TargetObject);
        Assert.Equal(ErrorCategory.ObjectNotFound, byTarget[missing].CategoryInfo.Category);
        Assert.Equal(ErrorCategory.InvalidData, byTarget[text].CategoryInfo.Category);
        Assert.Equal(ErrorCategory.ObjectNotFound, byTarget[empty].CategoryInfo.Category);
        Assert.Equal("HandWrite.ImageInvalidData,HandWrite.PowerShell.GetDigitPredictionCommand", byTarget[text].FullyQualifiedErrorId);
        foreach (var error in run.Errors)
        {
            var message = error.ErrorDetails.Message;
            Assert.Contains(Path.GetFileName((string)error.TargetObject), message);
            Assert.DoesNotContain("Exception", message);
        }
    }

    [Fact]
    public void A_blank_image_has_no_digit_and_says_why()
    {
        var blank = Path.Combine(work, "blank.png");
        DigitPreprocessor.SavePng(new float[DigitImage.Side * DigitImage.Side], blank);
        var run = PowerShellHarness.Run("param($Model, $File) Get-DigitPrediction $File -ModelPath $Model", With(("File", blank))).AssertNoErrors();
        var prediction = Assert.Single(run.Output);
        Assert.Null(prediction.Properties["Digit"].Value);
        Assert.True(prediction.Get<bool>("LowConfidence"));
        Assert.False(string.IsNullOrWhiteSpace(prediction.Get<string>("Reason")));
    }

    [Fact]
    public void More_images_than_a_batch_come_back_in_input_order_and_SavePreprocessed_writes_each()
    {
        // 30 distinct drawings, three copies each under new names: 90 inputs, more than one batch of 64.
        var inputs = new List<string>();
        for (int copy = 0; copy < 3; copy++)
            foreach (var (file, i) in AllLabeled(model).Select((f, i) => (f, i)))
            {
                var target = Path.Combine(work, $"c{copy}-{i:D2}.png");
                File.Copy(file, target);
                inputs.Add(target);
            }
        var seen = Path.Combine(work, "seen");
        var run = PowerShellHarness.Run("param($Model, $Paths, $Seen) $Paths | Get-DigitPrediction -ModelPath $Model -SavePreprocessed $Seen -Top 2",
            With(("Paths", inputs.ToArray()), ("Seen", seen))).AssertNoErrors();
        Assert.Equal(inputs, run.Output.Select(p => p.Get<string>("Path")));
        Assert.All(run.Output, p => Assert.Equal(2, p.Get<PSObject[]>("Top").Length));
        // Copies of the same drawing get the same answer, whichever batch they fell in.
        var digits = run.Output.Select(p => p.Get<int>("Digit")).ToList();
        Assert.Equal(digits.Take(30), digits.Skip(60));
        Assert.Equal(inputs.Select(i => Path.GetFileNameWithoutExtension(i) + ".28x28.png").Order(StringComparer.Ordinal),
            Directory.GetFiles(seen).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // From one full batch on, progress counts the images read, and completes at the end.
        var reading = run.Progress.Where(p => p.Activity == "Reading digits").ToList();
        Assert.Contains(reading, p => p.StatusDescription.StartsWith("90 images") && p.RecordType == ProgressRecordType.Processing);
        Assert.Equal(ProgressRecordType.Completed, reading[^1].RecordType);

        // A folder adds all its files at once: they are still read a batch at a time, with progress between batches.
        var folder = PowerShellHarness.Run("param($Model, $Folder) Get-DigitPrediction $Folder -ModelPath $Model", With(("Folder", work))).AssertNoErrors();
        Assert.Equal(inputs, folder.Output.Select(p => p.Get<string>("Path")));
        Assert.Equal(["64 images", "90 images"], folder.Progress.Where(p => p.Activity == "Reading digits" && p.RecordType == ProgressRecordType.Processing)
            .Select(p => p.StatusDescription.Split(',')[0]));
    }

    [Fact]
    public void WhatIf_writes_no_file_but_still_predicts_and_tests()
    {
        // -WhatIf covers what the cmdlets write (preprocessed images, report charts); their results come back as usual.
        var files = AllLabeled(model).Take(3).ToArray();
        var newFolder = Path.Combine(work, "new");
        var existing = Directory.CreateDirectory(Path.Combine(work, "existing")).FullName;
        var reports = Path.Combine(work, "reports");
        var run = PowerShellHarness.Run("""
            param($Model, $Files, $New, $Existing, $Reports, $Labeled)
            $Files | Get-DigitPrediction -ModelPath $Model -SavePreprocessed $New -WhatIf
            $Files | Get-DigitPrediction -ModelPath $Model -SavePreprocessed $Existing -WhatIf
            Test-DigitModel -ModelPath $Model -LabeledFolder $Labeled -ReportFolder $Reports -WhatIf
            """, With(("Files", files), ("New", newFolder), ("Existing", existing), ("Reports", reports), ("Labeled", model.LabeledFolder))).AssertNoErrors();
        Assert.Equal(files.Concat(files), run.Output.Take(6).Select(p => p.Get<string>("Path")));
        var test = run.Output[6];
        Assert.Equal("HandWrite.ModelTestResult", test.TypeNames[0]);
        Assert.Empty(test.Get<string[]>("ReportFiles"));
        Assert.False(Directory.Exists(newFolder));
        Assert.Empty(Directory.GetFiles(existing));
        Assert.False(Directory.Exists(reports));
    }

    [Fact]
    public void Parallel_runspaces_get_exactly_the_predictions_of_one_pipeline()
    {
        // README's scale-out: ForEach-Object -Parallel, each runspace importing the module and predicting the same
        // files at the same time as the others, against one ordinary pipeline in this runspace.
        var files = AllLabeled(model).ToArray();
        var run = PowerShellHarness.Run("""
            param($Model, $Files, $Manifest)
            $single = $Files | Get-DigitPrediction -ModelPath $Model
            $single
            1..4 | ForEach-Object -Parallel {
                Import-Module $using:Manifest
                [pscustomobject]@{ Worker = $_; Predictions = @($using:Files | Get-DigitPrediction -ModelPath $using:Model) }
            } -ThrottleLimit 4
            """, With(("Files", files), ("Manifest", PowerShellHarness.ModuleManifest))).AssertNoErrors();
        var single = run.Output.Take(files.Length).ToList();
        var workers = run.Output.Skip(files.Length).ToList();
        Assert.Equal(files, single.Select(p => p.Get<string>("Path")));
        Assert.Equal([1, 2, 3, 4], workers.Select(w => w.Get<int>("Worker")).Order());
        foreach (var worker in workers)
        {
            var predictions = worker.Get<object[]>("Predictions").Cast<PSObject>().ToList();
            Assert.Equal(files, predictions.Select(p => p.Get<string>("Path")));
            for (int i = 0; i < files.Length; i++)
                Assert.Equal(single[i].Get<double[]>("Probabilities"), predictions[i].Get<double[]>("Probabilities"));
        }
    }

    [Fact]
    public void Jobs_in_other_processes_over_PowerShell_remoting_get_exactly_the_predictions_of_one_pipeline()
    {
        if (OperatingSystem.IsWindows()) return; // the launcher below is a shell script
        // Start-Job runs its script block in a new "$PSHOME/pwsh -s" process and talks to it over the PowerShell
        // remoting protocol, the one Invoke-Command -HostName uses over SSH: objects go out and come back serialized.
        // There is no pwsh here: this engine's $PSHOME/pwsh hands over to the launcher the host's build writes, which
        // starts handwrite, whose console host serves -s as pwsh's does.
        var psHome = PowerShellHarness.Run("$PSHOME").AssertNoErrors().Output.Single().ToString();
        var launcher = Path.Combine(psHome, "pwsh");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec '{PowerShellHarness.HostJobLauncher}' \"$@\"\n");
        File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var files = AllLabeled(model).ToArray();
        var hostManifest = Path.Combine(Path.GetDirectoryName(PowerShellHarness.HostDll)!, "HandWrite.psd1");
        var run = PowerShellHarness.Run("""
            param($Model, $Files, $Manifest)
            $half = [int]($Files.Count / 2)
            $jobs = @($Files[0..($half - 1)]), @($Files[$half..($Files.Count - 1)]) | ForEach-Object {
                Start-Job -ArgumentList $Manifest, $Model, $_ -ScriptBlock {
                    param($Manifest, $Model, $Files)
                    Import-Module $Manifest
                    [pscustomobject]@{ Process = $PID; Predictions = @($Files | Get-DigitPrediction -ModelPath $Model) }
                }
            }
            $null = $jobs | Wait-Job -Timeout 300
            $jobs | ForEach-Object { [pscustomobject]@{ State = "$($_.State)"; Reason = "$($_.ChildJobs[0].JobStateInfo.Reason)" } }
            $jobs | Receive-Job
            $jobs | Remove-Job -Force
            $PID
            # The same halves in this process: a batch's make-up moves the last bits of bf16 results, so compare like with like.
            $Files[0..($half - 1)] | Get-DigitPrediction -ModelPath $Model
            $Files[$half..($Files.Count - 1)] | Get-DigitPrediction -ModelPath $Model
            """, With(("Files", files), ("Manifest", hostManifest))).AssertNoErrors();

        var states = run.Output.Take(2).ToList();
        Assert.All(states, s => Assert.True(s.Get<string>("State") == "Completed", $"job {s.Get<string>("State")}: {s.Get<string>("Reason")}"));
        var jobs = run.Output.Skip(2).Take(2).ToList();
        int thisProcess = (int)run.Output[4].BaseObject;
        var single = run.Output.Skip(5).ToList();
        Assert.Equal(files, single.Select(p => p.Get<string>("Path")));
        var remote = jobs.SelectMany(j => j.Get<object[]>("Predictions").Cast<PSObject>()).ToList();
        Assert.All(jobs, j => Assert.NotEqual(thisProcess, j.Get<int>("Process")));
        Assert.NotEqual(jobs[0].Get<int>("Process"), jobs[1].Get<int>("Process"));
        Assert.Equal("Deserialized.HandWrite.DigitPrediction", remote[0].TypeNames[0]);
        Assert.Equal(files, remote.Select(p => p.Get<string>("Path")));
        for (int i = 0; i < files.Length; i++)
        {
            Assert.Equal(single[i].Get<int>("Digit"), remote[i].Get<int>("Digit"));
            Assert.Equal(single[i].Get<double[]>("Probabilities"), remote[i].Get<double[]>("Probabilities"));
        }
    }

    [Fact]
    public void Several_ModelPath_values_predict_as_one_ensemble_averaging_the_models()
    {
        var second = Path.Combine(work, "second.hwm");
        var files = AllLabeled(model).Take(6).ToArray();
        var run = PowerShellHarness.Run("""
            param($Model, $Files, $Second, $Data)
            $null = Invoke-DigitTraining -Subset 300 -Epochs 1 -ValidationSize 100 -Preset Seed -Seed 9 -ModelPath $Second -DataPath $Data
            $Files | Get-DigitPrediction -ModelPath $Model
            $Files | Get-DigitPrediction -ModelPath $Second
            $Files | Get-DigitPrediction -ModelPath $Model, $Second
            """, With(("Files", files), ("Second", second), ("Data", PowerShellHarness.MnistPath))).AssertNoErrors();
        Assert.Equal(3 * files.Length, run.Output.Count);
        for (int i = 0; i < files.Length; i++)
        {
            var first = run.Output[i].Get<double[]>("Probabilities");
            var other = run.Output[files.Length + i].Get<double[]>("Probabilities");
            var ensemble = run.Output[2 * files.Length + i];
            Assert.NotEqual(first, other);
            Assert.Equal(files[i], ensemble.Get<string>("Path"));
            var expected = first.Zip(other, (x, y) => (x + y) / 2).ToArray();
            Assert.All(ensemble.Get<double[]>("Probabilities").Zip(expected), pair => Assert.Equal(pair.Second, pair.First, 6));
            Assert.Equal(Array.IndexOf(expected, expected.Max()), ensemble.Get<int>("Digit"));
        }
    }
}
