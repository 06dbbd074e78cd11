using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;

namespace GridTrain.Agent.Connection;

/// <summary>A start-job command whose job the link could not read (e.g. its spec is missing or malformed).</summary>
/// <param name="JobId">The job, as sent.</param>
/// <param name="LeaseEpoch">The lease it was sent under.</param>
/// <param name="Problem">What could not be read.</param>
public sealed record UnreadableJobStart(string JobId, long LeaseEpoch, string Problem) : AgentDirective;
