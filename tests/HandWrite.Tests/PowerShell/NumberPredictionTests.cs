using System.Management.Automation;
using HandWrite.Core.Imaging;

namespace HandWrite.Tests.PowerShell;

/// <summary>Get-DigitPrediction -Number through the engine, on a number composed from real hand-drawn digits.</summary>
[Collection(EngineTrainedModelCollection.Name)]
public sealed class NumberPredictionTests(EngineTrainedModelFixture model)
{
    [Fact]
    public void A_composed_number_gives_one_NumberPrediction_with_its_digits_boxes_and_a_table_row()
    {
        var work = TestEnvironment.NewTempFolder("number-cmdlet");
        try { ComposedNumber(work); }
        finally { Directory.Delete(work, true); }
    }

    void ComposedNumber(string work)
    {
        // 7, 3, 0, 8 as drawn by one person, side by side with random gaps.
        var files = new[] { 7, 3, 0, 8 }.Select(d => Directory.GetFiles(Path.Combine(model.LabeledFolder, d.ToString())).Order(StringComparer.Ordinal).First()).ToList();
        var number = Path.Combine(work, "number.png");
        var placed = NumberComposer.Compose(files, seed: 5, number);
        var missing = Path.Combine(work, "missing.png");
        var blank = Path.Combine(work, "blank.png");
        DigitPreprocessor.SavePng(new float[DigitImage.Side * DigitImage.Side], blank);
        var seen = Path.Combine(work, "seen");

        var run = PowerShellHarness.Run("""
            param($Model, $Paths, $Seen)
            $results = $Paths | Get-DigitPrediction -Number -ModelPath $Model -SavePreprocessed $Seen
            $results
            ($results | Format-Table | Out-String -Width 200)
            """, new Dictionary<string, object> { ["Model"] = model.ModelPath, ["Paths"] = new[] { number, missing, blank }, ["Seen"] = seen });

        var error = Assert.Single(run.Errors);
        Assert.Equal(missing, error.TargetObject);
        Assert.Equal(ErrorCategory.ObjectNotFound, error.CategoryInfo.Category);
        Assert.Equal(3, run.Output.Count);

        var reading = run.Output[0];
        Assert.Equal("HandWrite.NumberPrediction", reading.TypeNames[0]);
        Assert.Equal(number, reading.Get<string>("Path"));
        var digits = reading.Get<PSObject[]>("Digits");
        Assert.Equal(4, digits.Length);
        Assert.Equal(string.Concat(digits.Select(d => d.Get<int>("Digit"))), reading.Get<string>("Number"));
        Assert.Equal(digits.Aggregate(1.0, (c, d) => c * d.Get<double>("Confidence")), reading.Get<double>("Confidence"), 12);
        Assert.Equal(digits.Any(d => d.Get<double>("Confidence") < 0.5), reading.Get<bool>("LowConfidence"));
        for (int i = 0; i < 4; i++)
        {
            // Found where the composer placed it: the placed digit's centre inside the found box.
            var box = digits[i].Get<DigitBox>("Box");
            double centre = placed[i].X + placed[i].Width / 2.0;
            Assert.InRange(centre, box.X, box.X + box.Width);
            Assert.InRange(box.Height, placed[i].Height - 4, placed[i].Height + 4);
        }
        Assert.Equal(Enumerable.Range(1, 4).Select(k => $"number.{k}.28x28.png"), Directory.GetFiles(seen).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var nothing = run.Output[1];
        Assert.Equal(blank, nothing.Get<string>("Path"));
        Assert.Null(nothing.Properties["Number"].Value);
        Assert.Empty(nothing.Get<PSObject[]>("Digits"));
        Assert.True(nothing.Get<bool>("LowConfidence"));
        Assert.Equal(InkSegmentation.UniformReason, nothing.Get<string>("Reason"));

        // The table view: one row per image, with the number and the digits' confidences.
        var table = run.Output[2].BaseObject as string ?? "";
        Assert.Contains("Number", table);
        Assert.Matches($@"number\.png\s+{reading.Get<string>("Number")}\s", table);
        Assert.Contains(digits[0].BaseObject.ToString()!, table);
    }
}
