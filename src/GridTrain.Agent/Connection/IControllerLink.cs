using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Connection;

/// <summary>
/// The agent's line to its controller, in domain terms. The gRPC implementation (<see cref="Grpc.GrpcControllerLink"/>)
/// is the only part of the agent that knows the wire; tests script one in memory.
/// </summary>
/// <remarks>
/// Calls after <see cref="RegisterAsync"/> speak as the agent it registered. Register, heartbeat and the command stream throw <see cref="ControllerUnreachableException"/> when trying again
/// later (after registering again) is the cure; the agent then reconnects with backoff. Reports retry such failures
/// themselves until they get an answer or <c>cancellationToken</c> ends them.
/// </remarks>
public interface IControllerLink : IAsyncDisposable
{
    /// <summary>Joins the grid (again), listing what the agent still holds and runs; the answer says what to stop.</summary>
    Task<ControllerRegistration> RegisterAsync(AgentRegistrationRequest request, CancellationToken cancellationToken);

    /// <summary>Says the agent is alive and what it holds; the answer is about the leases listed here.</summary>
    Task<AgentInstructions> HeartbeatAsync(AgentHoldings holdings, CancellationToken cancellationToken);

    /// <summary>The commands for this agent, in the order the controller sent them; ends (throws) when the stream does.</summary>
    IAsyncEnumerable<AgentDirective> ReceiveCommandsAsync(CancellationToken cancellationToken);

    /// <summary>Reports a batch of a job attempt's events, numbered by the agent from 1 per attempt.</summary>
    Task<ReportOutcome> ReportEventsAsync(string jobId, long leaseEpoch, IReadOnlyList<ReportedEvent> events, CancellationToken cancellationToken);

    /// <summary>Reports how a job attempt ended.</summary>
    Task<ReportOutcome> ReportResultAsync(string jobId, long leaseEpoch, JobResult result, CancellationToken cancellationToken);

    /// <summary>Opens the tunnel <paramref name="tunnelId"/> the controller asked for (<see cref="OpenTunnel"/>), as this agent.</summary>
    Task<Tunnels.ITunnel> OpenTunnelAsync(string tunnelId, CancellationToken cancellationToken);

    /// <summary>How many bytes <paramref name="data"/> takes in a report, so batches stay under the message size limit.</summary>
    int EncodedSize(TrainingEvent data);
}

/// <summary>What an agent tells the controller when it registers.</summary>
/// <param name="Name">The agent's unique name.</param>
/// <param name="Version">The agent's version.</param>
/// <param name="Inventory">What the machine offers.</param>
/// <param name="Holdings">Leases held and job processes running from before (after a reconnect).</param>
/// <param name="Instance">This run of the agent process (new at each start).</param>
public sealed record AgentRegistrationRequest(string Name, string Version, Domain.Agents.Inventory Inventory, AgentHoldings Holdings, string Instance);

/// <summary>The leases an agent holds and the job attempts it runs, at the moment a request is built.</summary>
/// <param name="Sessions">Leases held.</param>
/// <param name="Jobs">Job attempts running, or accepted and still being prepared.</param>
/// <param name="Resources">What the machine uses now (heartbeats only); null to send no reading.</param>
public sealed record AgentHoldings(IReadOnlyList<HeldSessionReport> Sessions, IReadOnlyList<RunningJobReport> Jobs, Domain.Agents.AgentResources? Resources = null)
{
    /// <summary>Each GPU's health at the moment the request is built; empty on a machine without GPUs.</summary>
    public IReadOnlyList<Domain.Agents.Health.GpuHealth> GpuHealth { get; init; } = [];

    public static AgentHoldings None { get; } = new([], []);
}

/// <summary>The controller's answer to a registration.</summary>
/// <param name="AgentId">The id the controller gave the agent.</param>
/// <param name="HeartbeatInterval">How often to heartbeat.</param>
/// <param name="AgentTimeout">How long the controller waits before it declares a silent agent lost; null when it did not say.</param>
/// <param name="Instructions">What to stop and release of what the registration listed.</param>
public sealed record ControllerRegistration(string AgentId, TimeSpan HeartbeatInterval, TimeSpan? AgentTimeout, AgentInstructions Instructions);

/// <summary>What the controller made of a report.</summary>
public enum ReportOutcome
{
    /// <summary>Accepted: the events count as committed, the result as delivered.</summary>
    Committed,

    /// <summary>Refused as malformed; the lease still holds.</summary>
    Rejected,

    /// <summary>Refused because the agent no longer holds the job's lease (a stale epoch, or the agent was declared lost).</summary>
    Stale,

    /// <summary>
    /// <see cref="Stale"/>, but answering a retry: an earlier try went unanswered and may have been applied while the
    /// lease still held, so the report's checkpoints may be the job's committed ones (what its next attempt resumes from).
    /// </summary>
    StaleAfterRetry,
}
