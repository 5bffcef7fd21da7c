using System.Xml.Linq;
using HandWrite.Core.Imaging;
using SkiaSharp;

namespace HandWrite.Tests.PowerShell;

/// <summary>
/// Every example in the cmdlets' help runs, as written, in the handwrite host inside a folder that
/// holds the files the examples name (models, images, scans). Only the size of training is cut down,
/// through $PSDefaultParameterValues (-Subset 300, -ValidationSize 100 unless the example sets them),
/// and Invoke-Item, which would open a viewer, only checks that the file exists.
/// </summary>
[Collection(TrainedModelCollection.Name)]
public sealed class HelpExampleTests(TrainedModelFixture trained)
{
    static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static TheoryData<string, int> Examples()
    {
        var data = new TheoryData<string, int>();
        foreach (var (cmdlet, codes) in ReadExamples())
            for (int i = 0; i < codes.Count; i++) data.Add(cmdlet, i + 1);
        return data;
    }

    static List<(string Cmdlet, List<string> Codes)> ReadExamples()
    {
        var help = XDocument.Load(Path.Combine(TestEnvironment.RepoRoot, "module", "en-US", "HandWrite.PowerShell.dll-Help.xml"));
        return help.Descendants(Command + "command")
            .Select(c => (c.Descendants(Command + "name").First().Value,
                          c.Descendants(Command + "example").Select(e => e.Element(Dev + "code")!.Value).ToList()))
            .ToList();
    }

    const string Prelude = """
        $ErrorActionPreference = 'Stop'
        $PSDefaultParameterValues['Invoke-DigitTraining:Subset'] = 300
        $PSDefaultParameterValues['Invoke-DigitTraining:ValidationSize'] = 100
        function Invoke-Item { param([Parameter(Mandatory)][string] $Path) if (-not (Test-Path -LiteralPath $Path)) { throw "Invoke-Item: no file $Path" } }

        """;

    [Theory]
    [MemberData(nameof(Examples))]
    public void Help_example_runs_as_written(string cmdlet, int number)
    {
        var code = ReadExamples().Single(e => e.Cmdlet == cmdlet).Codes[number - 1];
        var sandbox = CreateSandbox();
        try
        {
            var run = PowerShellHarness.RunHost(["-NoProfile", "-NonInteractive", "-Command", Prelude + code],
                new Dictionary<string, string>
                {
                    ["HANDWRITE_HOME"] = Path.Combine(sandbox, "home"),
                    ["HANDWRITE_DATA"] = TestEnvironment.MnistFolder,
                    ["HANDWRITE_MODEL"] = "",
                },
                TimeSpan.FromMinutes(5), workingDirectory: sandbox);
            Assert.True(run.ExitCode == 0 && run.StandardError.Trim().Length == 0,
                $"{cmdlet} example {number} failed (exit {run.ExitCode}):\n{code}\n--- stdout\n{run.StandardOutput}\n--- stderr\n{run.StandardError}");
        }
        finally { Directory.Delete(sandbox, recursive: true); }
    }

    [Fact]
    public void Wild_digits_report_example_makes_its_table()
    {
        var sandbox = CreateSandbox();
        try
        {
            var script = Path.Combine(TestEnvironment.RepoRoot, "examples", "wild-digits-report.ps1");
            var run = PowerShellHarness.RunHost(["-NoProfile", "-NonInteractive", "-Command",
                $"& '{script}' ./my-digits -BestModel ./m.hwm -SeedModel ./a.hwm -Numbers 5 | ConvertTo-Json"],
                new Dictionary<string, string> { ["HANDWRITE_HOME"] = Path.Combine(sandbox, "home") }, TimeSpan.FromMinutes(5), workingDirectory: sandbox);
            Assert.True(run.ExitCode == 0, run.StandardOutput + run.StandardError);
            var rows = System.Text.Json.JsonDocument.Parse(run.StandardOutput).RootElement.EnumerateArray().ToList();
            Assert.Equal(["Naive preprocessing, Best model", "HandWrite, Seed model", "HandWrite, Best model"], rows.Select(r => r.GetProperty("Recipe").GetString()));
            Assert.Equal("n/a", rows[0].GetProperty("Numbers exact").GetString());
            Assert.Matches(@"^\d/5 \(", rows[2].GetProperty("Numbers exact").GetString());
            Assert.EndsWith("%", rows[2].GetProperty("All").GetString());
        }
        finally { Directory.Delete(sandbox, recursive: true); }
    }

    /// <summary>The files the examples name, made from the trained model and real hand-drawn digits.</summary>
    string CreateSandbox()
    {
        var root = TestEnvironment.NewTempFolder("help-examples");
        string Dir(string name) => Directory.CreateDirectory(Path.Combine(root, name)).FullName;
        void Model(string path) => File.Copy(trained.ModelPath, Path.Combine(root, path));
        Dir("home");
        Dir("models");
        foreach (var m in new[] { "home/handwrite.hwm", "m.hwm", "a.hwm", "b.hwm", "seed1.hwm", "seed2.hwm", "seed3.hwm", "models/x.hwm", "models/y.hwm" })
            Model(m);

        var wild = Path.Combine(TestEnvironment.WildDigitsFolder, "paint-32px");
        string Digit(int d, int k = 0) => Directory.GetFiles(Path.Combine(wild, d.ToString()), "*.png").Order(StringComparer.Ordinal).ElementAt(k);
        File.Copy(Digit(7), Path.Combine(root, "seven.png"));
        File.Copy(Digit(3), Path.Combine(root, "form[3].png"));
        ToJpeg(Digit(4), Path.Combine(root, "odd.jpg"));
        var scans = Dir("scans");
        Directory.CreateDirectory(Path.Combine(scans, "more"));
        for (int d = 0; d < 4; d++) File.Copy(Digit(d), Path.Combine(scans, $"scan{d}.png"));
        File.Copy(Digit(5), Path.Combine(scans, "more", "scan5.png"));
        for (int d = 0; d < 10; d++)
        {
            var folder = Dir(Path.Combine("my-digits", d.ToString()));
            for (int k = 0; k < 2; k++) File.Copy(Digit(d, k), Path.Combine(folder, $"{k}.png"));
        }
        var meter = Dir("meter-readings");
        var composed = Path.Combine(meter, "reading.png");
        NumberComposer.Compose([Digit(2), Digit(0), Digit(2), Digit(6)], seed: 1, composed);
        ToJpeg(composed, Path.Combine(meter, "reading.jpg"));
        File.Delete(composed);
        return root;
    }

    static void ToJpeg(string png, string jpg)
    {
        using var bitmap = SKBitmap.Decode(png);
        using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 95);
        File.WriteAllBytes(jpg, data.ToArray());
    }
}
