using System.Globalization;
using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Evaluation;
using HandWrite.Core.Imaging;
using HandWrite.Core.Prediction;
using Microsoft.PowerShell.Commands;

namespace HandWrite.PowerShell;

/// <summary>
/// Reads the handwritten digit in each image, or with -Number the whole number (a line of digits). Files
/// from the pipeline are collected and predicted in batches, so a whole folder costs a few network
/// passes, not one per file.
/// </summary>
[Cmdlet(VerbsCommon.Get, "DigitPrediction", DefaultParameterSetName = PathSet, SupportsShouldProcess = true)]
[OutputType(typeof(DigitPrediction), typeof(NumberPrediction))]
public sealed class GetDigitPredictionCommand : HandWriteCmdlet
{
    const string PathSet = "Path";
    const string LiteralPathSet = "LiteralPath";
    const int BatchSize = 64;
    const int ReadingActivityId = 5;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = [];

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = [];

    /// <summary>The model, or several models read as one ensemble (their probabilities averaged).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ModelPathCompleter))]
    public string[]? ModelPath { get; set; }

    [Parameter]
    [ValidateRange(1, 10)]
    public int Top { get; set; } = 3;

    [Parameter]
    [ValidateRange(0.0, 1.0)]
    public double MinimumConfidence { get; set; } = 0.5;

    [Parameter]
    public string? SavePreprocessed { get; set; }

    /// <summary>Read each image as a number written on one line (several digits) instead of one digit.</summary>
    [Parameter]
    public SwitchParameter Number { get; set; }

    readonly List<string> pending = [];
    /// <summary>Images handled so far; from one full batch on (a folder, a long pipeline) each batch reports progress.</summary>
    int read;
    DigitPredictor? predictor;
    string? preprocessedFolder;

    protected override void BeginProcessing()
    {
        var modelPaths = ResolveModelPaths(ModelPath);
        EnsureTorchRuntime();
        try
        {
            predictor = DigitPredictor.For(modelPaths);
        }
        catch (HandWriteException ex)
        {
            ThrowCoreFailure(ex, "Model", ex.Target ?? modelPaths[0]);
        }
        if (SavePreprocessed is not null)
        {
            preprocessedFolder = ResolveLiteralPath(SavePreprocessed);
            // -WhatIf and -Confirm cover the files only: predictions are written either way.
            if (!Directory.Exists(preprocessedFolder) && !ShouldProcess(preprocessedFolder, "Create the folder for the preprocessed images"))
            {
                preprocessedFolder = null;
                return;
            }
            try { Directory.CreateDirectory(preprocessedFolder); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                ThrowCoreFailure(new HandWriteException(
                    $"Cannot create '{preprocessedFolder}' ({ex.Message.TrimEnd('.')}). Choose a -SavePreprocessed folder you can write to.",
                    HandWriteErrorKind.PermissionDenied, ex, preprocessedFolder), "Preprocessed", preprocessedFolder);
            }
        }
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == LiteralPathSet)
            foreach (var path in LiteralPath) AddFileOrFolder(ResolveLiteralPath(path), path);
        else
            foreach (var path in Path)
                foreach (var match in ResolvePattern(path, "Image", "the path of an image file or a folder of images")) AddFileOrFolder(match, path);
        if (pending.Count >= BatchSize) PredictPending();
    }

    protected override void EndProcessing()
    {
        PredictPending();
        if (read >= BatchSize)
            WriteProgress(new ProgressRecord(ReadingActivityId, "Reading digits", $"{read} images") { RecordType = ProgressRecordType.Completed });
    }

    void AddFileOrFolder(string fullPath, string given)
    {
        if (Directory.Exists(fullPath))
        {
            var images = Directory.EnumerateFiles(fullPath)
                .Where(Evaluator.IsImageFile)
                .Order(StringComparer.Ordinal)
                .ToList();
            if (images.Count == 0)
                WriteNotFound(fullPath, "Image", $"The folder '{fullPath}' holds no image files (.png, .jpg, .bmp, .gif, .webp, ...). Give a folder of images, or pipe files with Get-ChildItem -Recurse.");
            pending.AddRange(images);
        }
        else if (File.Exists(fullPath))
        {
            pending.Add(fullPath);
        }
        else
        {
            WriteNotFound(fullPath, "Image", $"'{given}' does not exist. Check the path.");
        }
    }

    /// <summary>A batch at a time (a folder can add thousands at once): decodes the files in parallel, then predicts
    /// the decodable ones in one pass, keeping input order.</summary>
    void PredictPending()
    {
        while (pending.Count > 0 && predictor is not null)
        {
            var paths = pending.GetRange(0, Math.Min(BatchSize, pending.Count)).ToArray();
            pending.RemoveRange(0, paths.Length);
            if (Number) PredictNumbers(paths, predictor);
            else PredictDigits(paths, predictor);
            read += paths.Length;
            if (read >= BatchSize) // the total is unknown while the pipeline still sends files: a count, no percentage
                WriteProgress(new ProgressRecord(ReadingActivityId, "Reading digits", $"{read} images, the last {System.IO.Path.GetFileName(paths[^1])}"));
        }
    }

    void PredictDigits(string[] paths, DigitPredictor predictor)
    {
        var loaded = LoadAll(paths, DigitPreprocessor.Load);
        if (!TryPredict(() => predictor.Predict(Loaded(loaded)), out var results)) return;
        WriteInOrder(paths, loaded, results, (path, image, result) =>
        {
            SavePreprocessedImage(image.Pixels, path, "");
            return PSTypeNames.Tag(ToPrediction(path, result), PSTypeNames.DigitPrediction);
        });
    }

    void PredictNumbers(string[] paths, DigitPredictor predictor)
    {
        var loaded = LoadAll(paths, NumberSegmentation.Load);
        if (!TryPredict(() => NumberReader.Read(Loaded(loaded), predictor), out var results)) return;
        WriteInOrder(paths, loaded, results, (path, segments, reading) =>
        {
            for (int k = 0; k < segments.Digits.Count; k++) SavePreprocessedImage(segments.Digits[k].Image.Pixels, path, $".{k + 1}");
            return PSTypeNames.Tag(ToNumberPrediction(path, reading), PSTypeNames.NumberPrediction);
        });
    }

    /// <summary>Loads every file in parallel; a file that cannot be loaded keeps its error, for its place in the output.</summary>
    (T? Item, HandWriteException? Error)[] LoadAll<T>(string[] paths, Func<string, T> load) where T : class
    {
        var loaded = new (T? Item, HandWriteException? Error)[paths.Length];
        Parallel.For(0, paths.Length, new ParallelOptions { CancellationToken = CancellationToken }, i =>
        {
            try { loaded[i] = (load(paths[i]), null); }
            catch (HandWriteException ex) { loaded[i] = (null, ex); }
        });
        return loaded;
    }

    static T[] Loaded<T>((T? Item, HandWriteException? Error)[] loaded) where T : class =>
        loaded.Where(l => l.Item is not null).Select(l => l.Item!).ToArray();

    bool TryPredict<TResult>(Func<IReadOnlyList<TResult>> predict, out IReadOnlyList<TResult> results)
    {
        try
        {
            results = predict();
            return true;
        }
        catch (HandWriteException ex)
        {
            ThrowCoreFailure(ex, "Prediction");
            results = [];
            return false;
        }
    }

    /// <summary>Writes each file's result, or its load error, in input order.</summary>
    void WriteInOrder<T, TResult>(string[] paths, (T? Item, HandWriteException? Error)[] loaded, IReadOnlyList<TResult> results,
        Func<string, T, TResult, PSObject> toOutput) where T : class
    {
        int next = 0;
        for (int i = 0; i < paths.Length; i++)
        {
            if (loaded[i].Error is { } error) WriteError(HandWriteErrors.From(error, "Image", paths[i]));
            else WriteObject(toOutput(paths[i], loaded[i].Item!, results[next++]));
        }
    }

    void SavePreprocessedImage(float[] pixels, string source, string suffix)
    {
        if (preprocessedFolder is null) return;
        var target = System.IO.Path.Combine(preprocessedFolder, System.IO.Path.GetFileNameWithoutExtension(source) + suffix + ".28x28.png");
        if (!ShouldProcess(target, "Save the preprocessed 28x28 image")) return;
        try { DigitPreprocessor.SavePng(pixels, target); }
        catch (HandWriteException ex) { WriteError(HandWriteErrors.From(ex, "Preprocessed", target)); }
    }

    DigitPrediction ToPrediction(string path, DigitPredictionResult r)
    {
        var probabilities = r.Probabilities.Select(p => (double)p).ToArray();
        var top = r.Digit is null
            ? []
            : probabilities.Select((p, digit) => new DigitProbability(digit, p))
                .OrderByDescending(d => d.Probability).ThenBy(d => d.Digit).Take(Top).ToArray();
        bool low = r.Digit is null || r.Confidence < MinimumConfidence;
        var reason = r.Reason ?? (low
            ? string.Format(CultureInfo.InvariantCulture,
                "Confidence {0:P1} is below -MinimumConfidence {1:P1}: the image may not hold one clear digit.", r.Confidence, MinimumConfidence)
            : null);
        return new DigitPrediction(path, r.Digit, r.Confidence, probabilities, top, low, reason);
    }

    NumberPrediction ToNumberPrediction(string path, NumberReading r)
    {
        var digits = r.Digits.Select(d => new NumberDigit(d.Digit, d.Confidence, d.Box)).ToArray();
        var uncertain = digits.Select((d, position) => (d, position)).Where(x => x.d.Confidence < MinimumConfidence).ToList();
        var reason = r.Reason ?? (uncertain.Count == 0 ? null : string.Format(CultureInfo.InvariantCulture,
            "Digit {0} is below -MinimumConfidence {1:P1}: the writing may be unclear there, or digits may be joined or broken.",
            string.Join(", ", uncertain.Select(x => string.Format(CultureInfo.InvariantCulture, "{0} ({1}: {2:P1})", x.position + 1, x.d.Digit, x.d.Confidence))),
            MinimumConfidence));
        return new NumberPrediction(path, r.Number, r.Confidence, digits, r.Number is null || uncertain.Count > 0, reason);
    }
}
