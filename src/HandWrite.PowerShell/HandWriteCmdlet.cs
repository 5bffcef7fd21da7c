using System.Collections.Concurrent;
using System.Collections.ObjectModel;
using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Data;
using HandWrite.Core.Native;
using Microsoft.PowerShell.Commands;

namespace HandWrite.PowerShell;

/// <summary>
/// What the HandWrite cmdlets share: cancellation on Ctrl+C / Stop, running Core work on a worker
/// thread while its progress and messages are written from the pipeline thread (the only thread
/// allowed to call WriteProgress, WriteVerbose and WriteError), and path resolution.
/// </summary>
public abstract class HandWriteCmdlet : PSCmdlet
{
    readonly CancellationTokenSource cancellation = new();

    protected CancellationToken CancellationToken => cancellation.Token;

    protected override void StopProcessing() => cancellation.Cancel();

    /// <summary>
    /// Runs <paramref name="work"/> on a worker thread and, until it ends, writes what it posts to
    /// the relay from this (the pipeline) thread. Rethrows the work's exception; a cancellation
    /// caused by Stop becomes PipelineStoppedException.
    /// </summary>
    protected T RunWithRelay<T>(Func<PipelineRelay, T> work)
    {
        using var relay = new PipelineRelay();
        var task = Task.Run(() =>
        {
            try { return work(relay); }
            finally { relay.Complete(); }
        });
        bool drained = false;
        try
        {
            foreach (var write in relay.Pending()) write(this);
            drained = true;
        }
        finally
        {
            // Writing fails once the pipeline is stopping: cancel Core then. A relay drained to its end means the work is
            // returning (it completes the relay in its finally, a moment before the task counts as completed): cancelling
            // then would cancel this cmdlet's token for every later record too, so only wait.
            if (!drained) cancellation.Cancel();
            ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
        }
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (Stopping && ex is OperationCanceledException or HandWriteException { Kind: HandWriteErrorKind.Canceled })
        {
            throw new PipelineStoppedException();
        }
    }

    /// <summary>Terminates the cmdlet with the ErrorRecord for a Core failure.</summary>
    protected void ThrowCoreFailure(HandWriteException ex, string subject, object? target = null)
    {
        if (Stopping && ex.Kind == HandWriteErrorKind.Canceled) throw new PipelineStoppedException();
        ThrowTerminatingError(HandWriteErrors.From(ex, subject, target));
    }

    /// <summary>A file-system path from a user's literal path (relative to the current location, ~ expanded).</summary>
    protected string ResolveLiteralPath(string path) => SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>
    /// The file-system paths a -Path pattern matches (wildcards expanded, relative to the current location). A pattern
    /// that matches nothing, or names another provider's item, gets its error record (<paramref name="subject"/>, the
    /// pattern as target) and no paths, so the rest of the input goes on. <paramref name="whatToGive"/> completes
    /// "Give ..." in the messages.
    /// </summary>
    protected IReadOnlyList<string> ResolvePattern(string pattern, string subject, string whatToGive)
    {
        Collection<string> matches;
        ProviderInfo provider;
        try
        {
            matches = SessionState.Path.GetResolvedProviderPathFromPSPath(pattern, out provider);
        }
        catch (ItemNotFoundException)
        {
            WriteNotFound(pattern, subject, $"'{pattern}' does not exist. Check the path, or use -LiteralPath if the name contains [ or ].");
            return [];
        }
        catch (Exception ex) when (ex is ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderInvocationException)
        {
            WriteNotFound(pattern, subject, $"'{pattern}' cannot be resolved ({ex.Message.TrimEnd('.')}). Give {whatToGive}.");
            return [];
        }
        if (provider.ImplementingType != typeof(FileSystemProvider))
        {
            WriteError(HandWriteErrors.From(new HandWriteException(
                $"'{pattern}' is not a file-system path ({provider.Name}). Give {whatToGive}.",
                HandWriteErrorKind.InvalidArgument, target: pattern), subject, pattern));
            return [];
        }
        if (matches.Count == 0)
        {
            WriteNotFound(pattern, subject, $"No file matches '{pattern}' in {SessionState.Path.CurrentFileSystemLocation}. Check the pattern, or use -LiteralPath if the name itself contains [ or ].");
            return [];
        }
        return matches;
    }

    /// <summary>A non-terminating NotFound error for <paramref name="target"/>.</summary>
    protected void WriteNotFound(string target, string subject, string message) =>
        WriteError(HandWriteErrors.From(new HandWriteException(message, HandWriteErrorKind.NotFound, target: target), subject, target));

    /// <summary>The model to read: the path the user gave, else $HANDWRITE_MODEL, else the user's own model, else the one shipped with the module.</summary>
    protected string ResolveModelPath(string? modelPath) =>
        string.IsNullOrEmpty(modelPath) ? Paths.ModelToRead : ResolveLiteralPath(modelPath);

    const int RuntimeActivityId = 5;

    /// <summary>
    /// Makes libtorch loadable before a cmdlet's work: on an installed module's first use that downloads it once per user,
    /// with a progress bar (Ctrl+C stops it); a failure terminates the cmdlet with one error saying what to do.
    /// </summary>
    protected void EnsureTorchRuntime()
    {
        bool reported = false;
        try
        {
            RunWithRelay(relay =>
            {
                TorchRuntime.EnsureInitialized((status, percent) =>
                {
                    reported = true;
                    relay.Progress(new ProgressRecord(RuntimeActivityId, "Installing libtorch for HandWrite", status) { PercentComplete = Math.Clamp(percent, -1, 100) });
                }, CancellationToken);
                return true;
            });
        }
        catch (HandWriteException ex)
        {
            ThrowCoreFailure(ex, "Runtime");
        }
        if (reported) // nothing to close when libtorch was already there
            WriteProgress(new ProgressRecord(RuntimeActivityId, "Installing libtorch for HandWrite", "Done") { RecordType = ProgressRecordType.Completed });
    }

    /// <summary>The model paths the user gave (several: an ensemble), else the one default model.</summary>
    protected string[] ResolveModelPaths(string[]? modelPaths) =>
        modelPaths is { Length: > 0 } ? modelPaths.Select(p => ResolveModelPath(p)).ToArray() : [ResolveModelPath(null)];

    protected string? ResolveOptionalPath(string? path) => string.IsNullOrEmpty(path) ? null : ResolveLiteralPath(path);
}

/// <summary>
/// A queue of writes from Core's worker thread to the cmdlet's pipeline thread. Posting after the
/// work ended (a late progress report) is ignored.
/// </summary>
public sealed class PipelineRelay : IDisposable
{
    const int DataActivityId = 3;
    readonly BlockingCollection<Action<Cmdlet>> queue = new();

    public void Post(Action<Cmdlet> write)
    {
        try { queue.Add(write); }
        catch (InvalidOperationException) { } // completed or disposed: the work has ended
    }

    public void Progress(ProgressRecord record) => Post(c => c.WriteProgress(record));

    public void Verbose(string message) => Post(c => c.WriteVerbose(message));

    public void Error(ErrorRecord record) => Post(c => c.WriteError(record));

    /// <summary>Core's data progress (downloads, loading) as a progress bar.</summary>
    public IProgress<DataProgress> DataProgress() => new Relay<DataProgress>(p => Progress(
        new ProgressRecord(DataActivityId, p.Activity, string.IsNullOrEmpty(p.Status) ? p.Activity : p.Status)
        {
            PercentComplete = Math.Clamp(p.PercentComplete, -1, 100),
            RecordType = p.PercentComplete >= 100 ? ProgressRecordType.Completed : ProgressRecordType.Processing,
        }));

    internal IEnumerable<Action<Cmdlet>> Pending() => queue.GetConsumingEnumerable();

    internal void Complete() => queue.CompleteAdding();

    public void Dispose() => queue.Dispose();

    /// <summary>IProgress that calls back synchronously on the reporting thread (no SynchronizationContext hop).</summary>
    public sealed class Relay<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
