using System.Collections.Concurrent;
using System.Management.Automation;
using HandWrite.Core;
using HandWrite.Core.Data;

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
        try
        {
            foreach (var write in relay.Pending()) write(this);
        }
        finally
        {
            // Writing fails once the pipeline is stopping: cancel Core and let it unwind before we leave.
            if (!task.IsCompleted) { cancellation.Cancel(); ((IAsyncResult)task).AsyncWaitHandle.WaitOne(); }
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

    /// <summary>The model path the user gave, else $HANDWRITE_MODEL, else the per-user default.</summary>
    protected string ResolveModelPath(string? modelPath) =>
        string.IsNullOrEmpty(modelPath) ? Paths.DefaultModelPath : ResolveLiteralPath(modelPath);

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
