namespace HandWrite.Core;

/// <summary>What went wrong, in terms a caller can map to a PowerShell ErrorCategory.</summary>
public enum HandWriteErrorKind
{
    InvalidData,      // a file's content is not what it claims (bad image, corrupt model or data file)
    NotFound,         // a path or resource does not exist
    InvalidArgument,  // a parameter value cannot work
    PermissionDenied, // cannot write where asked
    ResourceUnavailable, // data could not be obtained (network, npm)
    NotInstalled,     // the native runtime cannot load
    LimitsExceeded,   // input larger than we accept (decompression bombs, lying headers)
    WriteFailed,      // a write could not complete (a full disk)
    Canceled,
}

/// <summary>The one exception type Core throws for expected failures; its message says what to do.</summary>
public sealed class HandWriteException : Exception
{
    public HandWriteErrorKind Kind { get; }
    public string? Target { get; }

    public HandWriteException(string message, HandWriteErrorKind kind, Exception? inner = null, string? target = null)
        : base(message, inner) { Kind = kind; Target = target; }
}
