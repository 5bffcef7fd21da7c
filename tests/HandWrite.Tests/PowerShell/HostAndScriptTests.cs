namespace HandWrite.Tests.PowerShell;

/// <summary>The handwrite host as a child process (no terminal, output redirected, as in CI), the examples and build.ps1.</summary>
[Collection(EngineTrainedModelCollection.Name)]
public sealed class HostAndScriptTests(EngineTrainedModelFixture model)
{
    static void AssertQuietNatives(HostRun run) => Assert.DoesNotContain("NNPACK", run.StandardError + run.StandardOutput);

    [Fact]
    public void Host_runs_the_readme_pipeline_with_the_default_paths_from_the_environment()
    {
        var home = TestEnvironment.NewTempFolder("host-home");
        try
        {
            var run = PowerShellHarness.RunHost(
                ["-NoProfile", "-Command", $"Invoke-DigitTraining -Subset 1000 -Epochs 1 -ValidationSize 200 | Test-DigitModel -LabeledFolder '{model.LabeledFolder}'"],
                new Dictionary<string, string> { ["HANDWRITE_HOME"] = home, ["HANDWRITE_DATA"] = PowerShellHarness.MnistPath, ["HANDWRITE_MODEL"] = "" },
                TimeSpan.FromMinutes(5));
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
            Assert.Equal("", run.StandardError.Trim());
            Assert.Matches(@"handwrite\.hwm\s+labeled\s+\d+[.,]\d\d ?%\s+\d+\s+30", run.StandardOutput); // the ModelTestResult table
            Assert.True(File.Exists(Path.Combine(home, "handwrite.hwm")));
            AssertQuietNatives(run);
        }
        finally { Directory.Delete(home, true); }
    }

    [Fact]
    public void Host_exit_code_is_nonzero_when_the_last_command_fails_and_errors_go_to_stderr()
    {
        var missing = $"/no/such/folder/{Guid.NewGuid():N}.hwm";
        var run = PowerShellHarness.RunHost(["-NoProfile", "-Command", $"Get-DigitModel -ModelPath {missing}"]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(missing, run.StandardError);
        Assert.Equal("", run.StandardOutput.Trim());
        AssertQuietNatives(run);
    }

    [Fact]
    public void Host_runs_a_file_with_arguments_and_returns_its_exit_code()
    {
        var folder = TestEnvironment.NewTempFolder("host-file");
        try
        {
            var script = Path.Combine(folder, "check.ps1");
            File.WriteAllText(script, """
                param($ModelPath)
                $info = Get-DigitModel $ModelPath
                "epochs=$($info.Epochs)"
                exit 7
                """);
            var run = PowerShellHarness.RunHost(["-NoProfile", "-File", script, model.ModelPath]);
            Assert.Equal(7, run.ExitCode);
            Assert.Contains("epochs=1", run.StandardOutput);
            AssertQuietNatives(run);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Host_uses_HANDWRITE_MODEL_when_no_ModelPath_is_given()
    {
        var run = PowerShellHarness.RunHost(["-NoProfile", "-Command", "(Get-DigitModel).Path; Get-DigitPrediction -LiteralPath (Get-ChildItem -Recurse -Filter *.png | Select-Object -First 1) | ForEach-Object Digit"],
            new Dictionary<string, string> { ["HANDWRITE_MODEL"] = model.ModelPath }, workingDirectory: model.LabeledFolder);
        Assert.True(run.ExitCode == 0, run.StandardError);
        var lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(model.ModelPath, lines[0]);
        Assert.Matches("^[0-9]$", lines[1]);
    }

    [Fact]
    public void Start_Job_in_the_host_runs_in_another_handwrite_process_with_the_module_loaded()
    {
        if (OperatingSystem.IsWindows()) return; // the build's job launcher is a shell script
        var run = PowerShellHarness.RunHost(["-NoProfile", "-Command", """
            $file = Get-ChildItem -Recurse -Filter *.png | Select-Object -First 1
            $job = Start-Job -ArgumentList $file.FullName, $env:HANDWRITE_MODEL -ScriptBlock {
                param($File, $Model)
                [pscustomobject]@{ Process = $PID; Modules = @(Get-Module | ForEach-Object Name); Prediction = Get-DigitPrediction -LiteralPath $File -ModelPath $Model }
            }
            $remote = $job | Receive-Job -Wait -AutoRemoveJob
            $here = Get-DigitPrediction -LiteralPath $file.FullName
            [pscustomobject]@{
                Here = $PID; There = $remote.Process; Modules = $remote.Modules
                Type = $remote.Prediction.PSObject.TypeNames[0]
                Same = $remote.Prediction.Digit -eq $here.Digit -and $remote.Prediction.Confidence -eq $here.Confidence
            } | ConvertTo-Json -Compress
            """], new Dictionary<string, string> { ["HANDWRITE_MODEL"] = model.ModelPath }, workingDirectory: model.LabeledFolder);
        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
        using var result = System.Text.Json.JsonDocument.Parse(run.StandardOutput.Trim());
        var json = result.RootElement;
        Assert.NotEqual(json.GetProperty("Here").GetInt32(), json.GetProperty("There").GetInt32());
        Assert.Contains("HandWrite", json.GetProperty("Modules").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("Deserialized.HandWrite.DigitPrediction", json.GetProperty("Type").GetString());
        Assert.True(json.GetProperty("Same").GetBoolean(), run.StandardOutput);
        AssertQuietNatives(run);
    }

    [Fact]
    public void Invoke_Command_HostName_fans_out_to_handwrite_over_SSH_and_gets_the_predictions_of_the_session()
    {
        if (OperatingSystem.IsWindows()) return; // the subsystem launcher is a shell script
        // README's scale-out: Invoke-Command -HostName a, b runs a script block on each over SSH, where the remote's
        // "powershell" subsystem is handwrite (-sshs). Here both names are this machine, through a real sshd where
        // openssh-server is installed (.ci/run installs it); elsewhere an ssh stand-in on PATH starts the subsystem
        // directly, so the client and server sides of the protocol still run, but not sshd.
        var folder = TestEnvironment.NewTempFolder("ssh");
        try
        {
            var subsystem = PowerShellHarness.HostJobLauncher;
            using var server = SshTestServer.TryStart(folder, subsystem);
            var environment = new Dictionary<string, string> { ["HANDWRITE_MODEL"] = model.ModelPath };
            if (server is null)
            {
                var bin = Directory.CreateDirectory(Path.Combine(folder, "bin")).FullName;
                File.WriteAllText(Path.Combine(bin, "ssh"), $"#!/bin/sh\nexec '{subsystem}' -sshs -NoLogo -NoProfile\n");
                File.SetUnixFileMode(Path.Combine(bin, "ssh"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                File.WriteAllText(Path.Combine(folder, "client_key"), "");
                environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
            }
            environment["SSH_PORT"] = (server?.Port ?? 22).ToString();
            environment["SSH_USER"] = server?.UserName ?? Environment.UserName;
            environment["SSH_KEY"] = server?.ClientKey ?? Path.Combine(folder, "client_key");
            var run = PowerShellHarness.RunHost(["-NoProfile", "-Command", """
                $files = @(Get-ChildItem -Recurse -Filter *.png | Sort-Object FullName | Select-Object -First 4 | ForEach-Object FullName)
                $ssh = @{ Port = [int]$env:SSH_PORT; UserName = $env:SSH_USER; KeyFilePath = $env:SSH_KEY
                          Options = @{ StrictHostKeyChecking = 'no'; UserKnownHostsFile = '/dev/null'; LogLevel = 'ERROR' } }
                $remote = @(Invoke-Command -HostName 127.0.0.1, localhost @ssh -ArgumentList (, $files), $env:HANDWRITE_MODEL -ScriptBlock {
                    param($Files, $Model)
                    [pscustomobject]@{ Process = $PID; Loaded = [bool](Get-Module HandWrite); Predictions = @($Files | Get-DigitPrediction -ModelPath $Model) }
                })
                $here = @($files | Get-DigitPrediction)
                [pscustomobject]@{
                    Here = $PID; Processes = @($remote.Process); Computers = @($remote.PSComputerName | Sort-Object); Loaded = @($remote.Loaded)
                    Types = @($remote.Predictions | ForEach-Object { $_.PSObject.TypeNames[0] } | Sort-Object -Unique)
                    Same = @($remote | ForEach-Object { $r = $_.Predictions; @(0..($files.Count - 1) | Where-Object {
                        $r[$_].Path -eq $here[$_].Path -and $r[$_].Digit -eq $here[$_].Digit -and $r[$_].Confidence -eq $here[$_].Confidence }).Count })
                } | ConvertTo-Json -Compress
                """], environment, TimeSpan.FromMinutes(2), model.LabeledFolder);
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
            using var result = System.Text.Json.JsonDocument.Parse(run.StandardOutput.Trim());
            var json = result.RootElement;
            int[] Ints(string name) => json.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();
            Assert.Equal(["127.0.0.1", "localhost"], json.GetProperty("Computers").EnumerateArray().Select(e => e.GetString()));
            var processes = Ints("Processes");
            Assert.Equal(2, processes.Distinct().Count());
            Assert.DoesNotContain(json.GetProperty("Here").GetInt32(), processes);
            Assert.All(json.GetProperty("Loaded").EnumerateArray(), l => Assert.True(l.GetBoolean()));
            Assert.Equal(["Deserialized.HandWrite.DigitPrediction"], json.GetProperty("Types").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([4, 4], Ints("Same")); // every file, on both hosts: the session's digit and confidence exactly
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Examples_run_through_the_engine()
    {
        var folder = TestEnvironment.NewTempFolder("examples");
        try
        {
            var examples = Path.Combine(PowerShellHarness.RepoRoot, "examples");
            var modelCopy = Path.Combine(folder, "copy.hwm");
            File.Copy(model.ModelPath, modelCopy);
            var run = PowerShellHarness.Run("""
                param($Examples, $Folder, $Model, $Labeled, $Data)
                $train = & (Join-Path $Examples 'train-and-test.ps1') -Epochs 1 -Subset 1000 -ValidationSize 200 -DataPath $Data `
                    -ModelPath (Join-Path $Folder 'example.hwm') -ReportFolder (Join-Path $Folder 'report')
                $predict = & (Join-Path $Examples 'predict-folder.ps1') $Labeled -Recurse -ModelPath $Model -CsvPath (Join-Path $Folder 'p.csv')
                $compare = & (Join-Path $Examples 'compare-models.ps1') $Folder -LabeledFolder $Labeled
                $ensembleArgs = @{ Count = 2; Epochs = 1; Subset = 300; ValidationSize = 100; DataPath = $Data; Folder = (Join-Path $Folder 'ensemble'); LabeledFolder = $Labeled }
                $ensemble = & (Join-Path $Examples 'train-ensemble.ps1') @ensembleArgs
                $again = & (Join-Path $Examples 'train-ensemble.ps1') @ensembleArgs
                [pscustomobject]@{ Train = $train; Predicted = @($predict).Count; Csv = @(Import-Csv (Join-Path $Folder 'p.csv')).Count; Compared = @($compare.Model);
                    Ensemble = $ensemble; Again = $again }
                """, new Dictionary<string, object>
                {
                    ["Examples"] = examples, ["Folder"] = folder, ["Model"] = model.ModelPath, ["Labeled"] = model.LabeledFolder, ["Data"] = PowerShellHarness.MnistPath,
                }).AssertNoErrors();
            var result = Assert.Single(run.Output);
            var train = result.Get<System.Management.Automation.PSObject>("Train");
            Assert.Equal("MNIST test", train.Get<string>("DataSet"));
            Assert.Equal(2, train.Get<string[]>("ReportFiles").Length);
            Assert.Equal(30, result.Get<int>("Predicted"));
            Assert.Equal(30, result.Get<int>("Csv"));
            Assert.Equal(new[] { "copy.hwm", "example.hwm" }, result.Get<string[]>("Compared").Order(StringComparer.Ordinal));
            Assert.Contains(run.Information, i => i.StartsWith("Test accuracy on MNIST test"));
            var ensemble = result.Get<System.Management.Automation.PSObject>("Ensemble");
            Assert.Equal("HandWrite.ModelTestResult", ensemble.TypeNames[0]);
            var members = new[] { "seed1.hwm", "seed2.hwm" }.Select(m => Path.Combine(folder, "ensemble", m));
            Assert.Equal(string.Join(", ", members), ensemble.Get<string>("ModelPath"));
            Assert.Equal(30, ensemble.Get<int>("Count"));
            // The second run kept both members and tested the same ensemble again.
            Assert.Equal(2, run.Information.Count(i => i.EndsWith("is already trained; kept.")));
            Assert.Equal(ensemble.Get<int>("Correct"), result.Get<System.Management.Automation.PSObject>("Again").Get<int>("Correct"));
            Assert.Contains(run.Information, i => i.StartsWith("Read images with the ensemble: Get-DigitPrediction <images> -ModelPath "));
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public void Build_script_runs_through_the_engine_and_says_how_to_import_the_module()
    {
        // Built in a copy of the sources: building this checkout in place would rewrite, under running tests and
        // hosts, the native libraries they have loaded (and undo the libstdc++ patch of those copies).
        var root = TestEnvironment.NewTempFolder("build-copy");
        try
        {
            CopySources(PowerShellHarness.RepoRoot, root);
            var run = PowerShellHarness.Run("param($Root, $Configuration) & (Join-Path $Root 'build.ps1') -Configuration $Configuration | Out-Null",
                new Dictionary<string, object> { ["Root"] = root, ["Configuration"] = PowerShellHarness.Configuration }).AssertNoErrors();
            var manifest = Path.Combine(root, "out", "HandWrite", "HandWrite.psd1");
            Assert.Contains(run.Information, i => i.Contains($"Import-Module '{manifest}'"));
            Assert.True(File.Exists(manifest));
            Assert.True(File.Exists(Path.Combine(root, "out", "HandWrite", "TorchSharp.dll")), "the module folder lacks TorchSharp");
        }
        finally { Directory.Delete(root, true); }
    }

    /// <summary>The checkout without build output, version control or test results.</summary>
    static void CopySources(string from, string to)
    {
        string[] skipped = ["bin", "obj", "out", ".git", "TestResults"];
        foreach (var dir in Directory.EnumerateDirectories(from))
            if (!skipped.Contains(Path.GetFileName(dir)))
                CopySources(dir, Directory.CreateDirectory(Path.Combine(to, Path.GetFileName(dir))).FullName);
        foreach (var file in Directory.EnumerateFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
