using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Security;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;

namespace GridTrain.Controller.Storage;

/// <summary>
/// Serves sessions, jobs and agents from memory and writes through to a durable store. The controller is the
/// only writer of its store, so the copy stays exact; it is loaded once, on first use. Event streams are read
/// from the durable store. Lists of sessions and agents are snapshots kept until the next write of that kind, so the
/// many reads between writes (every heartbeat, registration and scheduling pass) share one copy instead of each copying
/// every record under the lock.
/// </summary>
public sealed class CachedGridStore(IGridStore durable) : IGridStore
{
    private readonly SemaphoreSlim _load = new(1, 1);
    private readonly Lock _lock = new();
    private Dictionary<string, Session>? _sessions;
    private Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);
    private IReadOnlyList<Session>? _sessionList;
    private IReadOnlyList<Agent>? _agentList;

    public async ValueTask<Session?> GetSessionAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _sessions!.GetValueOrDefault(id));
    }

    public async ValueTask<IReadOnlyList<Session>> ListSessionsAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Volatile.Read(ref _sessionList) ?? Read(() => _sessionList ??= Array.AsReadOnly(_sessions!.Values.ToArray()));
    }

    public async ValueTask<Job?> GetJobAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _jobs.GetValueOrDefault(id));
    }

    public async ValueTask<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read<IReadOnlyList<Job>>(() => [.. _jobs.Values.Where(j => sessionId is null || j.SessionId == sessionId)]);
    }

    public async ValueTask<Agent?> GetAgentAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _agents.GetValueOrDefault(id));
    }

    public async ValueTask<IReadOnlyList<Agent>> ListAgentsAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Volatile.Read(ref _agentList) ?? Read(() => _agentList ??= Array.AsReadOnly(_agents.Values.ToArray()));
    }

    public ValueTask<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken) =>
        durable.ReadJobEventsAsync(jobId, afterSequence, limit, cancellationToken);

    public ValueTask<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken) =>
        durable.ReadSessionChangesAsync(sessionId, afterSequence, cancellationToken);

    public async ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await durable.SaveAsync(changes, cancellationToken);
        lock (_lock)
        {
            foreach (var session in changes.Sessions)
            {
                _sessions![session.Id] = session;
                _sessionList = null;
            }

            foreach (var job in changes.Jobs)
            {
                _jobs[job.Id] = job;
            }

            foreach (var agent in changes.Agents)
            {
                _agents[agent.Id] = agent;
                _agentList = null;
            }
        }
    }

    /// <remarks>Credentials are read from the durable store: a revocation by another controller counts at once.</remarks>
    public ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken) => durable.GetTokenAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken) => durable.ListTokensAsync(cancellationToken);

    public ValueTask SaveTokenAsync(ApiToken token, CancellationToken cancellationToken) => durable.SaveTokenAsync(token, cancellationToken);

    private async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _sessions) is not null)
        {
            return;
        }

        await _load.WaitAsync(cancellationToken);
        try
        {
            if (_sessions is not null)
            {
                return;
            }

            _jobs = (await durable.ListJobsAsync(null, cancellationToken)).ToDictionary(j => j.Id, StringComparer.Ordinal);
            _agents = (await durable.ListAgentsAsync(cancellationToken)).ToDictionary(a => a.Id, StringComparer.Ordinal);
            Volatile.Write(ref _sessions, (await durable.ListSessionsAsync(cancellationToken)).ToDictionary(s => s.Id, StringComparer.Ordinal));
        }
        finally
        {
            _load.Release();
        }
    }

    private T Read<T>(Func<T> read)
    {
        lock (_lock)
        {
            return read();
        }
    }
}
