using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.AgentProtocol;

/// <summary>A session an agent holds, under the epoch it was assigned with.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="LeaseEpoch">The lease it holds it under.</param>
/// <param name="GpuUtilization">Mean utilization (0–1) of the session's GPUs now; null without GPUs or without a reading.</param>
public sealed record HeldSessionReport(string SessionId, long LeaseEpoch, double? GpuUtilization = null);

/// <summary>A job process alive on an agent, under the epoch it was started with.</summary>
public sealed record RunningJobReport(string JobId, long LeaseEpoch);

/// <summary>What an agent must stop or release after a registration or heartbeat.</summary>
public sealed record AgentInstructions(IReadOnlyList<string> StopJobIds, IReadOnlyList<string> ReleaseSessionIds)
{
    /// <summary>Nothing to stop or release.</summary>
    public static AgentInstructions None { get; } = new([], []);
}

/// <summary>Outcome of registration.</summary>
public sealed record AgentRegistration(Agent Agent, AgentInstructions Instructions);

/// <summary>An event reported by an agent, numbered by the agent from 1 for each attempt.</summary>
public sealed record ReportedEvent(long AgentSequence, TrainingEvent Data);
