using Grpc.Core;

namespace GridTrain.Agent.Connection.Grpc;

/// <summary>How the agent reads a failed call to the controller.</summary>
internal static class GrpcFailures
{
    /// <summary>Status codes worth retrying: the controller is down, restarting, or the network dropped the call.</summary>
    public static bool IsTransient(RpcException ex) => ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown or StatusCode.Aborted or StatusCode.Cancelled;

    /// <summary>
    /// Failures that registering again cures: outages, and NOT_FOUND or UNAUTHENTICATED (the controller no longer knows
    /// this agent or its credential, e.g. it restarted without its state; a wrong join token is logged on each try).
    /// </summary>
    public static bool NeedsReconnect(RpcException ex) => IsTransient(ex) || ex.StatusCode is StatusCode.NotFound or StatusCode.Unauthenticated;

    /// <summary>
    /// Failures a report waits out: outages, and UNAUTHENTICATED, since a report sent with the credential a
    /// re-registration (after a controller restart) has just replaced must wait for the new one, not escape and orphan its job.
    /// </summary>
    public static bool ReportShouldRetry(RpcException ex) => IsTransient(ex) || ex.StatusCode == StatusCode.Unauthenticated;

    /// <summary>Refusals that answer a report: the lease is gone (stale), or the report is malformed (rejected).</summary>
    public static ReportOutcome? Refusal(RpcException ex) => ex.StatusCode switch
    {
        StatusCode.FailedPrecondition or StatusCode.NotFound => ReportOutcome.Stale,
        StatusCode.InvalidArgument => ReportOutcome.Rejected,
        _ => null,
    };
}
