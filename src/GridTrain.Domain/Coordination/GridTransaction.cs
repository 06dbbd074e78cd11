using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// One operation's view of the grid: reads see its own writes; writes, events, agent directives and
/// watcher wake-ups are collected and take effect together on commit. A nested transaction (<see cref="Nest"/>) is one
/// operation of a batch: it reads through the batch's writes, and its own join the batch only if it succeeds (<see cref="Absorb"/>).
/// </summary>
internal sealed class GridTransaction
{
    private readonly IGridStore _store;
    private readonly GridTransaction? _parent;
    private readonly GridChanges _changes = new();
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);
    private bool _scheduleRequested;

    public GridTransaction(IGridStore store, DateTimeOffset now, CancellationToken cancellationToken)
    {
        _store = store;
        Now = now;
        CancellationToken = cancellationToken;
    }

    private GridTransaction(GridTransaction parent, CancellationToken cancellationToken)
        : this(parent._store, parent.Now, cancellationToken) => _parent = parent;

    public DateTimeOffset Now { get; }

    public CancellationToken CancellationToken { get; }

    public List<(string AgentId, AgentDirective Directive)> Directives { get; } = [];

    public HashSet<string> Notifications { get; } = new(StringComparer.Ordinal);

    /// <summary>Metrics to record once the changes are saved, so nothing is counted that a failed save undid.</summary>
    public List<Action<GridInstruments>> Measurements { get; } = [];

    public GridChanges Changes => _changes;

    /// <summary>True when the operation changed something scheduling depends on (any write, or new agent capacity).</summary>
    public bool NeedsScheduling => _scheduleRequested || !_changes.IsEmpty;

    /// <summary>Asks for a scheduling pass although nothing was written (an agent's command stream opened).</summary>
    public void RequestScheduling() => _scheduleRequested = true;

    /// <summary>A transaction for one operation of this batch: it sees what the batch wrote so far; nothing of it counts until absorbed.</summary>
    public GridTransaction Nest(CancellationToken cancellationToken) => new(this, cancellationToken);

    /// <summary>Takes a nested transaction's writes, events, directives, wake-ups and metrics into this one, in order.</summary>
    public void Absorb(GridTransaction nested)
    {
        foreach (var (id, session) in nested._sessions)
        {
            _sessions[id] = session;
        }

        foreach (var (id, job) in nested._jobs)
        {
            _jobs[id] = job;
        }

        foreach (var (id, agent) in nested._agents)
        {
            _agents[id] = agent;
        }

        _changes.Add(nested._changes);
        Directives.AddRange(nested.Directives);
        Notifications.UnionWith(nested.Notifications);
        Measurements.AddRange(nested.Measurements);
        _scheduleRequested |= nested._scheduleRequested;
    }

    public async ValueTask<Session?> FindSessionAsync(string id) =>
        _sessions.TryGetValue(id, out var session) ? session
        : _parent is { } parent ? await parent.FindSessionAsync(id)
        : await _store.GetSessionAsync(id, CancellationToken);

    public async ValueTask<Session> GetSessionAsync(string id) =>
        await FindSessionAsync(id) ?? throw GridException.NotFound("session", id);

    public async ValueTask<Job?> FindJobAsync(string id) =>
        _jobs.TryGetValue(id, out var job) ? job
        : _parent is { } parent ? await parent.FindJobAsync(id)
        : await _store.GetJobAsync(id, CancellationToken);

    public async ValueTask<Job> GetJobAsync(string id) =>
        await FindJobAsync(id) ?? throw GridException.NotFound("job", id);

    public async ValueTask<Agent?> FindAgentAsync(string id) =>
        _agents.TryGetValue(id, out var agent) ? agent
        : _parent is { } parent ? await parent.FindAgentAsync(id)
        : await _store.GetAgentAsync(id, CancellationToken);

    public async ValueTask<IReadOnlyList<Session>> ListSessionsAsync() => Overlay(
        _parent is { } parent ? await parent.ListSessionsAsync() : await _store.ListSessionsAsync(CancellationToken),
        _sessions, s => s.Id, _ => true);

    /// <summary>Sessions holding resources on the agent (on any agent when <paramref name="agentId"/> is null).</summary>
    public async ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId) => Overlay(
        _parent is { } parent ? await parent.ListHeldSessionsAsync(agentId) : await _store.ListHeldSessionsAsync(agentId, CancellationToken),
        _sessions, s => s.Id, s => s.IsHeldOn(agentId));

    public async ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state) => Overlay(
        _parent is { } parent ? await parent.ListSessionsInStateAsync(state) : await _store.ListSessionsInStateAsync(state, CancellationToken),
        _sessions, s => s.Id, s => s.State == state);

    /// <summary>Every session of <paramref name="owner"/>, ended ones included.</summary>
    public async ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner) => Overlay(
        _parent is { } parent ? await parent.ListSessionsOfOwnerAsync(owner) : await _store.ListSessionsOfOwnerAsync(owner, CancellationToken),
        _sessions, s => s.Id, s => s.Owner == owner);

    /// <summary>Every session of each of <paramref name="owners"/>: what their quotas are measured on.</summary>
    public async ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnersAsync(IEnumerable<string> owners)
    {
        var all = new List<Session>();
        foreach (var owner in owners.Distinct(StringComparer.Ordinal))
        {
            all.AddRange(await ListSessionsOfOwnerAsync(owner));
        }

        return all;
    }

    public async ValueTask<IReadOnlyList<Job>> ListJobsAsync(string? sessionId)
    {
        var stored = _parent is { } parent ? await parent.ListJobsAsync(sessionId) : await _store.ListJobsAsync(sessionId, CancellationToken);
        // Asked for every held session by every sweep: the filter is made only when this transaction wrote jobs.
        return _jobs.Count == 0 ? stored : OverlayJobs(stored, _jobs, sessionId);
    }

    private static IReadOnlyList<Job> OverlayJobs(IReadOnlyList<Job> stored, Dictionary<string, Job> written, string? sessionId) =>
        Overlay(stored, written, j => j.Id, j => sessionId is null || j.SessionId == sessionId);

    public async ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state) => Overlay(
        _parent is { } parent ? await parent.ListJobsInStateAsync(state) : await _store.ListJobsInStateAsync(state, CancellationToken),
        _jobs, j => j.Id, j => j.State == state);

    public async ValueTask<IReadOnlyList<Agent>> ListAgentsAsync() => Overlay(
        _parent is { } parent ? await parent.ListAgentsAsync() : await _store.ListAgentsAsync(CancellationToken),
        _agents, a => a.Id, _ => true);

    public async ValueTask<Agent?> FindAgentByNameAsync(string name)
    {
        if (_agents.Values.FirstOrDefault(a => a.Name == name) is { } written)
        {
            return written;
        }

        var found = _parent is { } parent ? await parent.FindAgentByNameAsync(name) : await _store.FindAgentByNameAsync(name, CancellationToken);
        return found is not null && !_agents.ContainsKey(found.Id) ? found : null;
    }

    /// <summary>Stores the session; a change of state (or agent) is appended to its event stream.</summary>
    public Session Put(Session session, Session? before)
    {
        if (before is null || before.State != session.State || before.AgentId != session.AgentId || before.LeaseEpoch != session.LeaseEpoch)
        {
            session = session with { LastChangeSequence = session.LastChangeSequence + 1 };
            _changes.Append(new SessionChange(session.Id, session.LastChangeSequence, Now, session.State, session.AgentId, session.StateReason));
            Notifications.Add(ChangeNotifier.SessionKey(session.Id));
        }

        _sessions[session.Id] = session;
        _changes.Put(session);
        return session;
    }

    /// <summary>Appends an eviction warning to the session's event stream.</summary>
    public void Warn(Session session, DateTimeOffset deadline, string reason)
    {
        // Warnings share the session's sequence numbers with state changes.
        var warned = session with { LastChangeSequence = session.LastChangeSequence + 1 };
        _changes.Append(new SessionChange(session.Id, warned.LastChangeSequence, Now, session.State, session.AgentId, reason, SessionChangeKind.EvictionWarning, deadline));
        Notifications.Add(ChangeNotifier.SessionKey(session.Id));
        _sessions[session.Id] = warned;
        _changes.Put(warned);
    }

    public Job Put(Job job)
    {
        _jobs[job.Id] = job;
        _changes.Put(job);
        return job;
    }

    public Agent Put(Agent agent)
    {
        _agents[agent.Id] = agent;
        Notifications.Add(ChangeNotifier.AgentKey(agent.Id));
        _changes.Put(agent);
        return agent;
    }

    /// <summary>Appends an event to the job's stream and returns the job with its new last sequence.</summary>
    public Job AppendEvent(Job job, TrainingEvent data)
    {
        job = job with { LastEventSequence = job.LastEventSequence + 1 };
        _changes.Append(new JobEvent(job.Id, job.LastEventSequence, Now, data));
        Notifications.Add(ChangeNotifier.JobKey(job.Id));
        return Put(job);
    }

    public void Send(string agentId, AgentDirective directive) => Directives.Add((agentId, directive));

    public void Measure(Action<GridInstruments> record) => Measurements.Add(record);

    /// <summary>
    /// What a query read from the store, as this transaction sees it: records it wrote replace the stored ones, and
    /// count only where they still match the query (<paramref name="selects"/>). The stored list itself when nothing was written.
    /// </summary>
    private static IReadOnlyList<T> Overlay<T>(IReadOnlyList<T> stored, Dictionary<string, T> written, Func<T, string> key, Func<T, bool> selects)
    {
        if (written.Count == 0)
        {
            return stored;
        }

        var result = stored.Where(item => !written.ContainsKey(key(item))).ToList();
        result.AddRange(written.Values.Where(selects));
        return result;
    }
}
