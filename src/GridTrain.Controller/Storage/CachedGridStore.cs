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
/// every record under the lock. The indexed queries (sessions held on an agent, in a state, of an owner; jobs by session
/// and state; agents by name) answer from indexes kept with each write, so a call costs what it returns.
/// </summary>
public sealed class CachedGridStore : IGridStore
{
    private readonly IGridStore _durable;
    private readonly SemaphoreSlim _load = new(1, 1);
    private readonly Lock _lock = new();
    private Dictionary<string, Session>? _sessions;
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);
    private IReadOnlyList<Session>? _sessionList;
    private IReadOnlyList<Agent>? _agentList;
    private readonly GroupIndex<string, Session> _heldOn;
    private readonly GroupIndex<SessionState, Session> _sessionsByState;
    private readonly GroupIndex<string, Session> _sessionsByOwner;
    private readonly GroupIndex<string, Job> _jobsBySession;
    private readonly GroupIndex<JobState, Job> _jobsByState;
    private readonly GroupIndex<string, Agent> _agentsByName;

    public CachedGridStore(IGridStore durable)
    {
        _durable = durable;
        Func<string, Session> session = id => _sessions![id];
        Func<string, Job> job = id => _jobs[id];
        Func<string, Agent> agent = id => _agents[id];
        _heldOn = new(s => s.IsHeldOn(null) ? s.AgentId : null, session, StringComparer.Ordinal);
        _sessionsByState = new(s => s.State, session);
        _sessionsByOwner = new(s => s.Owner, session, StringComparer.Ordinal);
        _jobsBySession = new(j => j.SessionId, job, StringComparer.Ordinal);
        _jobsByState = new(j => j.State, job);
        _agentsByName = new(a => a.Name, agent, StringComparer.Ordinal);
    }

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
        return Read(() => sessionId is null ? [.. _jobs.Values] : _jobsBySession.Get(sessionId));
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

    public async ValueTask<Agent?> FindAgentByNameAsync(string name, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _agentsByName.Get(name).FirstOrDefault());
    }

    public async ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => agentId is null ? _heldOn.All() : _heldOn.Get(agentId));
    }

    public async ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _sessionsByState.Get(state));
    }

    public async ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _sessionsByOwner.Get(owner));
    }

    public async ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return Read(() => _jobsByState.Get(state));
    }

    public ValueTask<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken) =>
        _durable.ReadJobEventsAsync(jobId, afterSequence, limit, cancellationToken);

    public ValueTask<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken) =>
        _durable.ReadSessionChangesAsync(sessionId, afterSequence, cancellationToken);

    public async ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await _durable.SaveAsync(changes, cancellationToken);
        lock (_lock)
        {
            foreach (var session in changes.Sessions)
            {
                Keep(session, _sessions!.GetValueOrDefault(session.Id));
                _sessionList = null;
            }

            foreach (var job in changes.Jobs)
            {
                Keep(job, _jobs.GetValueOrDefault(job.Id));
            }

            foreach (var agent in changes.Agents)
            {
                Keep(agent, _agents.GetValueOrDefault(agent.Id));
                _agentList = null;
            }
        }
    }

    /// <remarks>Credentials are read from the durable store: a revocation by another controller counts at once.</remarks>
    public ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken) => _durable.GetTokenAsync(id, cancellationToken);

    public ValueTask<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken) => _durable.ListTokensAsync(cancellationToken);

    public ValueTask SaveTokenAsync(ApiToken token, CancellationToken cancellationToken) => _durable.SaveTokenAsync(token, cancellationToken);

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

            var jobs = await _durable.ListJobsAsync(null, cancellationToken);
            var agents = await _durable.ListAgentsAsync(cancellationToken);
            var sessions = await _durable.ListSessionsAsync(cancellationToken);
            lock (_lock)
            {
                foreach (var job in jobs)
                {
                    Keep(job, before: null);
                }

                foreach (var agent in agents)
                {
                    Keep(agent, before: null);
                }

                var loaded = new Dictionary<string, Session>(StringComparer.Ordinal);
                foreach (var session in sessions)
                {
                    loaded[session.Id] = session;
                    IndexSession(session, before: null);
                }

                Volatile.Write(ref _sessions, loaded);
            }
        }
        finally
        {
            _load.Release();
        }
    }

    private void Keep(Session session, Session? before)
    {
        _sessions![session.Id] = session;
        IndexSession(session, before);
    }

    private void IndexSession(Session session, Session? before)
    {
        _heldOn.Replace(session.Id, before, session);
        _sessionsByState.Replace(session.Id, before, session);
        _sessionsByOwner.Replace(session.Id, before, session);
    }

    private void Keep(Job job, Job? before)
    {
        _jobs[job.Id] = job;
        _jobsBySession.Replace(job.Id, before, job);
        _jobsByState.Replace(job.Id, before, job);
    }

    private void Keep(Agent agent, Agent? before)
    {
        _agents[agent.Id] = agent;
        _agentsByName.Replace(agent.Id, before, agent);
    }

    private T Read<T>(Func<T> read)
    {
        lock (_lock)
        {
            return read();
        }
    }
}
