using System.Net;

namespace GridTrain.Checkpoints.Drive;

/// <summary>
/// A Drive call that failed: the HTTP status, Drive's reason (e.g. <c>storageQuotaExceeded</c>) and message.
/// <see cref="IsTransient"/> says whether retrying can help.
/// </summary>
public sealed class DriveException : Exception
{
    public DriveException(HttpStatusCode status, string reason, string message, Exception? inner = null)
        : base($"Drive {(int)status} {reason}: {message}", inner)
    {
        Status = status;
        Reason = reason;
    }

    public HttpStatusCode Status { get; }

    /// <summary>Drive's <c>errors[0].reason</c>, or a GridTrain reason (<c>checksumMismatch</c>, <c>sessionExpired</c>).</summary>
    public string Reason { get; }

    /// <summary>True for 429, 403 rate limits and 5xx: retried with backoff. Anything else is permanent.</summary>
    public bool IsTransient => DriveErrors.IsTransient(Status, Reason);
}
