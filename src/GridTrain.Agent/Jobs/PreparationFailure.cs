using System.Net;
using GridTrain.Checkpoints.Drive;

namespace GridTrain.Agent.Jobs;

/// <summary>Whether an attempt this agent could not prepare (its checkpoint or dataset not downloaded) deserves another attempt.</summary>
internal static class PreparationFailure
{
    /// <summary>
    /// Transient Drive errors and dropped connections, and a token Drive refused even after a refresh: that is this
    /// agent's credentials or the token service at fault, not the job, and the next attempt (another agent, a moment
    /// later) may well succeed. The job's attempt limit bounds the retries.
    /// </summary>
    public static bool IsRetryable(Exception ex) =>
        DriveErrors.IsTransient(ex) || ex is DriveException { Status: HttpStatusCode.Unauthorized };
}
