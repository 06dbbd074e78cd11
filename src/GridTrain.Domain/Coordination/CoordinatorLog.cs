using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>The coordinator's decision log.</summary>
internal static partial class CoordinatorLog
{
    [LoggerMessage(1, LogLevel.Debug, "Session {SessionId} placed on agent {AgentId} under lease epoch {Epoch}", EventName = "SessionPlaced")]
    public static partial void SessionPlaced(ILogger logger, string sessionId, string agentId, long epoch);

    [LoggerMessage(2, LogLevel.Information, "Job {JobId} finished {State}: {Reason}", EventName = "JobFinished")]
    public static partial void JobFinished(ILogger logger, string jobId, JobState state, string reason);

    [LoggerMessage(3, LogLevel.Information, "Agent {AgentId} ({Name}) registered; rejoining: {Rejoining}", EventName = "AgentRegistered")]
    public static partial void AgentRegistered(ILogger logger, string agentId, string name, bool rejoining);

    [LoggerMessage(4, LogLevel.Warning, "Agent {AgentId} ({Name}) lost after {Silence} of silence; rescheduling its sessions", EventName = "AgentLost")]
    public static partial void AgentLost(ILogger logger, string agentId, string name, TimeSpan silence);

    [LoggerMessage(5, LogLevel.Warning, "Job {JobId} attempt {Attempt} interrupted: {Reason}", EventName = "JobRetried")]
    public static partial void JobRetried(ILogger logger, string jobId, int attempt, string reason);

    [LoggerMessage(6, LogLevel.Information, "Evicting session {SessionId}: {Reason}", EventName = "SessionEvicting")]
    public static partial void SessionEvicting(ILogger logger, string sessionId, string reason);

    [LoggerMessage(7, LogLevel.Information, "Preempting session {SessionId} for {PendingId}", EventName = "SessionPreempted")]
    public static partial void SessionPreempted(ILogger logger, string sessionId, string pendingId);

    [LoggerMessage(8, LogLevel.Warning, "Session {SessionId} placed on agent {AgentId} under lease epoch {Epoch} is unconfirmed after {Waited}; sending the assignment again", EventName = "PlacementResent")]
    public static partial void PlacementResent(ILogger logger, string sessionId, string agentId, long epoch, TimeSpan waited);

    [LoggerMessage(9, LogLevel.Warning, "GPU out of service ({Reason}): moving session {SessionId}; job {JobId} resumes elsewhere from its checkpoint, the attempt not charged", EventName = "GpuFaultMovesSession")]
    public static partial void GpuFaultMovesSession(ILogger logger, string sessionId, string jobId, string reason);

    [LoggerMessage(10, LogLevel.Warning, "Job {JobId} failed: its GPUs faulted on {Count} different GPUs, so the job is the likely cause", EventName = "JobBlamedForGpuFaults")]
    public static partial void JobBlamedForGpuFaults(ILogger logger, string jobId, int count);

    [LoggerMessage(11, LogLevel.Warning, "Agent {AgentId} GPU {Index} out of service: {Reason}", EventName = "GpuOutOfService")]
    public static partial void GpuOutOfService(ILogger logger, string agentId, int index, string reason);

    [LoggerMessage(12, LogLevel.Warning, "Session {SessionId}: agent {AgentName} holds lease epoch {HeldEpoch}, newer than the store's {StoredEpoch} (the store lost its last commits); reconciling so no epoch is issued twice", EventName = "EpochAheadOfStore")]
    public static partial void EpochAheadOfStore(ILogger logger, string sessionId, string agentName, long heldEpoch, long storedEpoch);

    [LoggerMessage(13, LogLevel.Information, "Job {JobId}: agent {AgentId} registered again from the same run without it, so its start was never delivered; it goes out again", EventName = "JobStartResent")]
    public static partial void JobStartResent(ILogger logger, string jobId, string agentId);

    [LoggerMessage(14, LogLevel.Warning, "Agent {AgentId}: confirming its placements did not commit; its next heartbeat confirms them again", EventName = "ConfirmationNotCommitted")]
    public static partial void ConfirmationNotCommitted(ILogger logger, string agentId, Exception exception);
}
