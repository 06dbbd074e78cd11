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

    // Made on the first write: most transactions write nothing (one reads for every heartbeat), and until then each
    // reads from an empty dictionary all transactions share and none writes to.
    private Dictionary<string, Session> _sessions = Unwritten<Session>.Records;
    private Dictionary<string, Job> _jobs = Unwritten<Job>.Records;
    private Dictionary<string, Agent> _agents = Unwritten<Agent>.Records;
    private List<(string AgentId, AgentDirective Directive)>? _directives;
    private HashSet<string>? _notifications;
    private List<Action<GridInstruments>>? _measurements;
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

    public IReadOnlyList<(string AgentId, AgentDirective Directive)> Directives => _directives ?? [];

    public IReadOnlyCollection<string> Notifications => _notifications ?? [];

    /// <summary>Metrics to record once the changes are saved, so nothing is counted that a failed save undid.</summary>
    public IReadOnlyList<Action<GridInstruments>> Measurements => _measurements ?? [];

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
            Writable(ref _sessions)[id] = session;
        }

        foreach (var (id, job) in nested._jobs)
        {
            Writable(ref _jobs)[id] = job;
        }

        foreach (var (id, agent) in nested._agents)
        {
            Writable(ref _agents)[id] = agent;
        }

        _changes.Add(nested._changes);
        if (nested._directives is { } directives)
        {
            (_directives ??= []).AddRange(directives);
        }

        if (nested._notifications is { } notifications)
        {
            (_notifications ??= new(StringComparer.Ordinal)).UnionWith(notifications);
        }

        if (nested._measurements is { } measurements)
        {
            (_measurements ??= []).AddRange(measurements);
        }

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
        _sessions, static s => s.Id, 0, static (_, _) => true);

    /// <summary>Sessions holding resources on the agent (on any agent when <paramref name="agentId"/> is null).</summary>
    public async ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId) => Overlay(
        _parent is { } parent ? await parent.ListHeldSessionsAsync(agentId) : await _store.ListHeldSessionsAsync(agentId, CancellationToken),
        _sessions, static s => s.Id, agentId, static (s, agentId) => s.IsHeldOn(agentId));

    public async ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state) => Overlay(
        _parent is { } parent ? await parent.ListSessionsInStateAsync(state) : await _store.ListSessionsInStateAsync(state, CancellationToken),
        _sessions, static s => s.Id, state, static (s, state) => s.State == state);

    /// <summary>Every session of <paramref name="owner"/>, ended ones included.</summary>
    public async ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner) => Overlay(
        _parent is { } parent ? await parent.ListSessionsOfOwnerAsync(owner) : await _store.ListSessionsOfOwnerAsync(owner, CancellationToken),
        _sessions, static s => s.Id, owner, static (s, owner) => s.Owner == owner);

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
        Overlay(stored, written, static j => j.Id, sessionId, static (j, sessionId) => sessionId is null || j.SessionId == sessionId);

    public async ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state) => Overlay(
        _parent is { } parent ? await parent.ListJobsInStateAsync(state) : await _store.ListJobsInStateAsync(state, CancellationToken),
        _jobs, static j => j.Id, state, static (j, state) => j.State == state);

    public async ValueTask<IReadOnlyList<Agent>> ListAgentsAsync() => Overlay(
        _parent is { } parent ? await parent.ListAgentsAsync() : await _store.ListAgentsAsync(CancellationToken),
        _agents, static a => a.Id, 0, static (_, _) => true);

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
            Notify(ChangeNotifier.SessionKey(session.Id));
        }

        Writable(ref _sessions)[session.Id] = session;
        _changes.Put(session);
        return session;
    }

    /// <summary>Appends an eviction warning to the session's event stream.</summary>
    public void Warn(Session session, DateTimeOffset deadline, string reason)
    {
        // Warnings share the session's sequence numbers with state changes.
        var warned = session with { LastChangeSequence = session.LastChangeSequence + 1 };
        _changes.Append(new SessionChange(session.Id, warned.LastChangeSequence, Now, session.State, session.AgentId, reason, SessionChangeKind.EvictionWarning, deadline));
        Notify(ChangeNotifier.SessionKey(session.Id));
        Writable(ref _sessions)[session.Id] = warned;
        _changes.Put(warned);
    }

    public Job Put(Job job)
    {
        Writable(ref _jobs)[job.Id] = job;
        _changes.Put(job);
        return job;
    }

    public Agent Put(Agent agent)
    {
        Writable(ref _agents)[agent.Id] = agent;
        Notify(ChangeNotifier.AgentKey(agent.Id));
        _changes.Put(agent);
        return agent;
    }

    /// <summary>Appends an event to the job's stream and returns the job with its new last sequence.</summary>
    public Job AppendEvent(Job job, TrainingEvent data)
    {
        job = job with { LastEventSequence = job.LastEventSequence + 1 };
        _changes.Append(new JobEvent(job.Id, job.LastEventSequence, Now, data));
        Notify(ChangeNotifier.JobKey(job.Id));
        return Put(job);
    }

    public void Send(string agentId, AgentDirective directive) => (_directives ??= []).Add((agentId, directive));

    public void Measure(Action<GridInstruments> record) => (_measurements ??= []).Add(record);

    private void Notify(string key) => (_notifications ??= new(StringComparer.Ordinal)).Add(key);

    private static Dictionary<string, T> Writable<T>(ref Dictionary<string, T> written) =>
        ReferenceEquals(written, Unwritten<T>.Records) ? written = new(StringComparer.Ordinal) : written;

    /// <summary>
    /// What a query read from the store, as this transaction sees it: records it wrote replace the stored ones, and
    /// count only where they still match the query (<paramref name="selects"/>, given <paramref name="query"/>). The
    /// stored list itself when nothing was written; the query's filter is static, so that case allocates nothing.
    /// </summary>
    private static IReadOnlyList<T> Overlay<T, TQuery>(IReadOnlyList<T> stored, Dictionary<string, T> written, Func<T, string> key, TQuery query, Func<T, TQuery, bool> selects)
    {
        if (written.Count == 0)
        {
            return stored;
        }

        var result = stored.Where(item => !written.ContainsKey(key(item))).ToList();
        result.AddRange(written.Values.Where(item => selects(item, query)));
        return result;
    }

    /// <summary>The empty dictionary a transaction reads its writes of <typeparamref name="T"/> from until it writes one.</summary>
    private static class Unwritten<T>
    {
        public static readonly Dictionary<string, T> Records = new(StringComparer.Ordinal);
    }
}
