using System.Management.Automation;
using HandWrite.Core;

namespace HandWrite.PowerShell;

/// <summary>The one place where Core's failures become PowerShell ErrorRecords.</summary>
internal static class HandWriteErrors
{
    public static ErrorCategory CategoryOf(HandWriteErrorKind kind) => kind switch
    {
        HandWriteErrorKind.InvalidData => ErrorCategory.InvalidData,
        HandWriteErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        HandWriteErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        HandWriteErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        HandWriteErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        HandWriteErrorKind.NotInstalled => ErrorCategory.NotInstalled,
        HandWriteErrorKind.LimitsExceeded => ErrorCategory.LimitsExceeded,
        HandWriteErrorKind.WriteFailed => ErrorCategory.WriteError,
        HandWriteErrorKind.Canceled => ErrorCategory.OperationStopped,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>
    /// An ErrorRecord for a Core failure. <paramref name="subject"/> names what failed (Image, Model,
    /// Data, ...): the ErrorId is HandWrite.{subject}{Kind}, e.g. HandWrite.ImageInvalidData.
    /// </summary>
    public static ErrorRecord From(HandWriteException ex, string subject, object? target = null)
    {
        var record = new ErrorRecord(ex, $"HandWrite.{subject}{ex.Kind}", CategoryOf(ex.Kind), target ?? ex.Target);
        record.ErrorDetails = new ErrorDetails(ex.Message);
        return record;
    }
}
