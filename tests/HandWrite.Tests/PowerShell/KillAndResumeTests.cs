using System.Diagnostics;
using HandWrite.Core.Model;
using HandWrite.Core.Training;

namespace HandWrite.Tests.PowerShell;

/// <summary>
/// A training run in the handwrite host killed with SIGKILL (no chance to clean up) leaves a loadable
/// model, and -Resume then ends with exactly the weights of a run that was never interrupted.
/// </summary>
public sealed class KillAndResumeTests
{
    const int Subset = 4096, Epochs = 3, BatchSize = 64, ValidationSize = 256, Seed = 11;

    [Fact]
    public void Training_killed_mid_run_resumes_to_the_weights_of_an_uninterrupted_run()
    {
        var folder = TestEnvironment.NewTempFolder("kill");
        try
        {
            var reference = Trainer.Train(new TrainingOptions
            {
                Subset = Subset, Epochs = Epochs, BatchSize = BatchSize, ValidationSize = ValidationSize, Seed = Seed,
                DataPath = TestEnvironment.MnistFolder, ModelPath = Path.Combine(folder, "reference.hwm"),
            }, null, null, CancellationToken.None);

            var killed = Path.Combine(folder, "killed.hwm");
            string Command(string extra) =>
                $"Invoke-DigitTraining -Subset {Subset} -Epochs {Epochs} -BatchSize {BatchSize} -ValidationSize {ValidationSize} -Seed {Seed} " +
                $"-DataPath '{TestEnvironment.MnistFolder}' -ModelPath '{killed}' {extra} | Out-Null";

            // Start the run and kill it once epoch 1's checkpoint is on disk, i.e. somewhere inside a later epoch.
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { PowerShellHarness.HostDll, "-NoProfile", "-NonInteractive", "-Command", Command("") }) start.ArgumentList.Add(arg);
            using (var process = Process.Start(start)!)
            {
                var deadline = Stopwatch.StartNew();
                while (!File.Exists(killed + ".checkpoint") && !process.HasExited && deadline.Elapsed < TimeSpan.FromMinutes(4))
                    Thread.Sleep(20);
                if (process.HasExited) Assert.Fail("the run finished before it could be killed: " + process.StandardError.ReadToEnd());
                process.Kill(); // SIGKILL on Unix
                process.WaitForExit();
            }

            var left = ModelFile.ReadInfo(killed); // whole and loadable, whatever moment the kill hit
            Assert.True(left.Epochs < Epochs);

            var resumed = PowerShellHarness.RunHost(["-NoProfile", "-NonInteractive", "-Command", Command("-Resume")], timeout: TimeSpan.FromMinutes(4));
            Assert.True(resumed.ExitCode == 0, resumed.StandardOutput + resumed.StandardError);
            Assert.Equal(ModelFile.ReadInfo(reference.ModelPath).WeightsSha256, ModelFile.ReadInfo(killed).WeightsSha256);
            Assert.Equal(File.ReadAllText(Path.ChangeExtension(reference.ModelPath, ".metrics.csv")).Split('\n').Length,
                File.ReadAllText(Path.ChangeExtension(killed, ".metrics.csv")).Split('\n').Length);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
