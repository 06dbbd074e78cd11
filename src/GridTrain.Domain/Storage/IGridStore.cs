using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Security;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Storage;

/// <summary>
/// Durable state of the controller. Writes of one logical change go through one <see cref="IGridStore.SaveAsync"/>
/// call so a store can make them atomic.
/// </summary>
public interface IGridStore
{
    ValueTask<Session?> GetSessionAsync(string id, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Session>> ListSessionsAsync(CancellationToken cancellationToken);

    ValueTask<Job?> GetJobAsync(string id, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken);

    ValueTask<Agent?> GetAgentAsync(string id, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Agent>> ListAgentsAsync(CancellationToken cancellationToken);

    // The queries below answer from indexes where the store keeps them (CachedGridStore), so the controller's work per
    // call is proportional to what the call is about (one agent, one owner, the queue), not to the whole fleet's history.

    /// <summary>The agent registered under <paramref name="name"/>; null when none is.</summary>
    ValueTask<Agent?> FindAgentByNameAsync(string name, CancellationToken cancellationToken);

    /// <summary>Sessions holding resources (<see cref="Session.HoldsResources"/>) on the agent, or on any agent when <paramref name="agentId"/> is null.</summary>
    ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId, CancellationToken cancellationToken);

    /// <summary>Sessions in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state, CancellationToken cancellationToken);

    /// <summary>Every session of <paramref name="owner"/>, ended ones included.</summary>
    ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner, CancellationToken cancellationToken);

    /// <summary>Jobs in <paramref name="state"/>.</summary>
    ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state, CancellationToken cancellationToken);

    /// <summary>Job events with a sequence greater than <paramref name="afterSequence"/>, in order, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken);

    /// <summary>Session changes with a sequence greater than <paramref name="afterSequence"/>, in order.</summary>
    ValueTask<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken);

    /// <summary>Applies a batch of writes atomically.</summary>
    ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken);

    /// <summary>A stored credential by id, revoked or not; null when unknown.</summary>
    ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every stored credential, revoked ones included.</summary>
    ValueTask<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken);

    /// <summary>Inserts or replaces a credential (by id).</summary>
    ValueTask SaveTokenAsync(ApiToken token, CancellationToken cancellationToken);
}
