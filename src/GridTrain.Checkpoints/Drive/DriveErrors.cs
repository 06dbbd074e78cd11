using System.Net;
using System.Net.Sockets;

namespace GridTrain.Checkpoints.Drive;

/// <summary>Which Drive failures are worth retrying (see developers.google.com/drive/api/guides/handle-errors).</summary>
public static class DriveErrors
{
    /// <summary>A 308/200 answer that vouched for different bytes than were sent.</summary>
    public const string ChecksumMismatch = "checksumMismatch";

    /// <summary>An upload session Drive no longer knows (404 on the session URI, sessions last a week).</summary>
    public const string SessionExpired = "sessionExpired";

    /// <summary>A chunk of which Drive kept nothing (a 308 acknowledging no new bytes).</summary>
    public const string NoProgress = "noProgress";

    private static readonly HashSet<string> s_rateLimitReasons = new(StringComparer.Ordinal) { "userRateLimitExceeded", "rateLimitExceeded" };

    public static bool IsTransient(HttpStatusCode status, string reason) => status switch
    {
        HttpStatusCode.TooManyRequests => true,
        HttpStatusCode.Forbidden => s_rateLimitReasons.Contains(reason),
        >= HttpStatusCode.InternalServerError => true,
        _ => reason is ChecksumMismatch or NoProgress,
    };

    /// <summary>Whether an exception from a Drive call is worth retrying: transient Drive errors and dropped connections.</summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        DriveException drive => drive.IsTransient,
        HttpRequestException => true,
        IOException => true,
        SocketException => true,
        TimeoutException => true,
        _ => false,
    };
}
