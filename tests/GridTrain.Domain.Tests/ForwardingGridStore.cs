using GridTrain.Controller.Storage;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Security;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;

namespace GridTrain.Domain.Tests;

/// <summary>An in-memory store whose calls a test can intercept by overriding them; the rest go to <see cref="InMemoryGridStore"/>.</summary>
internal abstract class ForwardingGridStore : IGridStore
{
    private readonly InMemoryGridStore _inner = new();

    public virtual ValueTask<Session?> GetSessionAsync(string id, CancellationToken cancellationToken) => _inner.GetSessionAsync(id, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Session>> ListSessionsAsync(CancellationToken cancellationToken) => _inner.ListSessionsAsync(cancellationToken);

    public virtual ValueTask<Job?> GetJobAsync(string id, CancellationToken cancellationToken) => _inner.GetJobAsync(id, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken) => _inner.ListJobsAsync(sessionId, cancellationToken);

    public virtual ValueTask<Agents.Agent?> GetAgentAsync(string id, CancellationToken cancellationToken) => _inner.GetAgentAsync(id, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Agents.Agent>> ListAgentsAsync(CancellationToken cancellationToken) => _inner.ListAgentsAsync(cancellationToken);

    public virtual ValueTask<Agents.Agent?> FindAgentByNameAsync(string name, CancellationToken cancellationToken) => _inner.FindAgentByNameAsync(name, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId, CancellationToken cancellationToken) => _inner.ListHeldSessionsAsync(agentId, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state, CancellationToken cancellationToken) => _inner.ListSessionsInStateAsync(state, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner, CancellationToken cancellationToken) => _inner.ListSessionsOfOwnerAsync(owner, cancellationToken);

    public virtual ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state, CancellationToken cancellationToken) => _inner.ListJobsInStateAsync(state, cancellationToken);

    public virtual ValueTask<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken) =>
        _inner.ReadJobEventsAsync(jobId, afterSequence, limit, cancellationToken);

    public virtual ValueTask<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken) =>
        _inner.ReadSessionChangesAsync(sessionId, afterSequence, cancellationToken);

    public virtual ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken) => _inner.SaveAsync(changes, cancellationToken);

    public virtual ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken) => _inner.GetTokenAsync(id, cancellationToken);

    public virtual ValueTask<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken) => _inner.ListTokensAsync(cancellationToken);

    public virtual ValueTask SaveTokenAsync(ApiToken token, CancellationToken cancellationToken) => _inner.SaveTokenAsync(token, cancellationToken);
}
