using System.Diagnostics;
using HandWrite.Core;
using HandWrite.Core.Training;
using static HandWrite.Tests.Core.CoreTestSupport;

namespace HandWrite.Tests.Core;

/// <summary>Trainer.CheckOutputWritable: an unwritable -ModelPath fails at once, before any data is read or trained on.</summary>
public sealed class OutputWritableTests : IDisposable
{
    readonly TempFolder _temp = new();
    public void Dispose() => _temp.Dispose();

    /// <summary>Training options whose data folder does not exist: if output were checked after data, the error would be NotFound.</summary>
    TrainingOptions Options(string modelPath) => new()
    {
        ModelPath = modelPath, DataPath = _temp["no-such-mnist"], Subset = 64, Epochs = 1, Preset = TrainingPreset.Seed, BatchSize = 64, ValidationSize = 64,
    };

    [Fact]
    public void A_read_only_folder_is_PermissionDenied_before_training()
    {
        var folder = Directory.CreateDirectory(_temp["ro"]).FullName;
        var model = Path.Combine(folder, "model.hwm");
        using (ReadOnlyFolder(folder))
        {
            var ex = Throws(HandWriteErrorKind.PermissionDenied, () => Trainer.CheckOutputWritable(model));
            Assert.Equal(model, ex.Target);
            Assert.Contains("Choose a -ModelPath in a folder you can write to", ex.Message);
            var clock = Stopwatch.StartNew();
            Assert.Equal(HandWriteErrorKind.PermissionDenied, Assert.Throws<HandWriteException>(() => Trainer.Train(Options(model), null, null, default)).Kind);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        }
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void A_path_below_a_regular_file_is_refused_before_training()
    {
        var file = _temp["somefile"];
        File.WriteAllText(file, "not a folder");
        var model = Path.Combine(file, "model.hwm");
        var ex = Throws(HandWriteErrorKind.PermissionDenied, () => Trainer.Train(Options(model), null, null, default));
        Assert.Equal(model, ex.Target);
        Assert.Equal("not a folder", File.ReadAllText(file));
    }

    [Fact]
    public void A_path_in_proc_is_refused()
    {
        // /proc refuses new files even for root.
        var ex = Throws(HandWriteErrorKind.PermissionDenied, () => Trainer.CheckOutputWritable("/proc/handwrite-test/model.hwm"));
        Assert.Equal("/proc/handwrite-test/model.hwm", ex.Target);
    }

    [Fact]
    public void A_folder_as_ModelPath_is_InvalidArgument_suggesting_a_file_in_it()
    {
        var ex = Throws(HandWriteErrorKind.InvalidArgument, () => Trainer.Train(Options(_temp.Path), null, null, default));
        Assert.Equal(_temp.Path, ex.Target);
        Assert.Contains(Path.Combine(_temp.Path, "model.hwm"), ex.Message);
    }

    [Fact]
    public void A_writable_path_passes_and_leaves_nothing_behind()
    {
        var model = _temp["new/sub/model.hwm"];
        Trainer.CheckOutputWritable(model);
        Assert.False(File.Exists(model));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(model)!));
    }
}
