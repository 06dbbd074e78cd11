using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Reporting;

/// <summary>What the agent could not tell the controller about a job attempt before it stopped: events, then the result if known.</summary>
/// <param name="JobId">The job.</param>
/// <param name="LeaseEpoch">The lease the attempt ran under.</param>
/// <param name="Events">Events not yet committed, in order, with the sequence numbers they were (or would have been) sent with.</param>
/// <param name="Result">How the attempt ended; null when its end was not known yet.</param>
public sealed record UnreportedAttempt(string JobId, long LeaseEpoch, IReadOnlyList<ReportedEvent> Events, JobResult? Result);
