using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Quotas;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// The controller's decisions: sessions, jobs, agents and scheduling. Operations are serialized by a
/// <see cref="GridTransactionRunner"/>: each runs in a <see cref="GridTransaction"/> whose writes are saved atomically
/// before any directive is sent to an agent or any watcher is woken, so nothing is announced that a restart could lose.
/// What is kept in memory rather than stored has its own collaborator: <see cref="AgentLiveness"/>,
/// <see cref="AgentDirectiveBus"/>, <see cref="SessionActivity"/>, <see cref="PlacementResends"/> and <see cref="AgentReadings"/>.
/// </summary>
public sealed partial class GridCoordinator
{
    /// <summary>Owner of sessions created without a user (until authentication names one).</summary>
    public const string DefaultOwner = "local";

    private readonly IGridStore _store;
    private readonly IIdGenerator _ids;
    private readonly GridOptions _options;
    private readonly ILogger<GridCoordinator> _logger;
    private readonly ChangeNotifier _notifier = new();
    private readonly AgentDirectiveBus _directives = new();
    private readonly GridTransactionRunner _runner;
    private readonly AgentLiveness _liveness;
    private readonly SessionActivity _activity;
    private readonly PlacementResends _resends;
    private readonly Evictions _evictions;
    private readonly AgentReadings _readings;
    private readonly GpuFaults _gpuFaults;
    private readonly Preemptions _preemptions;
    private readonly SchedulableCapacity _capacity;
    private long _queueOrder;

    /// <param name="store">Where the grid's state is kept.</param>
    /// <param name="time">The clock.</param>
    /// <param name="ids">Ids for new sessions, jobs and agents.</param>
    /// <param name="options">Timeouts and policies.</param>
    /// <param name="logger">Decision log.</param>
    /// <param name="instruments">Where lease, scheduling and eviction metrics go; a standalone meter when null.</param>
    public GridCoordinator(IGridStore store, TimeProvider time, IIdGenerator ids, GridOptions options, ILogger<GridCoordinator> logger, GridInstruments? instruments = null)
    {
        var problems = options.Validate().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid grid options: " + string.Join("; ", problems), nameof(options));
        }

        _store = store;
        _ids = ids;
        _options = options;
        _logger = logger;
        _liveness = new AgentLiveness(time, options.AgentTimeout);
        _activity = new SessionActivity(time, options.GpuStallThreshold);
        _resends = new PlacementResends(options.AgentTimeout);
        _evictions = new Evictions(options, _activity, logger);
        _readings = new AgentReadings(time);
        _gpuFaults = new GpuFaults(_evictions, logger);
        _preemptions = new Preemptions(_evictions, logger);
        _capacity = new SchedulableCapacity(_directives, _gpuFaults);
        _runner = new GridTransactionRunner(store, time, _directives, _notifier, instruments ?? new GridInstruments(), ScheduleAsync, (changes, saved) => _capacity.BatchEnded(changes, saved));
    }

    public GridOptions Options => _options;

    /// <summary>Wakes when a job's or session's event stream grows. See <see cref="ChangeNotifier"/>.</summary>
    public ChangeNotifier Changes => _notifier;

    /// <summary>The controller now accepts agents' calls: every agent not heard from yet gets a full timeout from now.</summary>
    public void StartServing() => _liveness.StartCounting();

    /// <summary>Notes client activity on a session (<paramref name="what"/>: keep-alive, a job submitted...), postponing its idle eviction.</summary>
    public void RecordActivity(string sessionId, string what) => _activity.Record(sessionId, what);

    /// <summary>Notes lasting work on a session (an exec, a copy): it is active until the scope is disposed.</summary>
    public IDisposable BeginActivity(string sessionId, string what) => _activity.Begin(sessionId, what);

    /// <summary>Queues a directive on the agent's command stream (a tunnel to open); false when the agent has none open now.</summary>
    public bool SendToAgent(string agentId, AgentDirective directive) => _directives.Send(agentId, directive);

    /// <summary>A user's GPU use against their quota.</summary>
    public Task<QuotaUsage> GetQuotaAsync(string owner, CancellationToken cancellationToken) =>
        _runner.ReadAsync(async tx => QuotaPolicy.Measure(owner, await tx.ListSessionsOfOwnerAsync(owner), _options.Quota, tx.Now), cancellationToken);

    /// <summary>The grid's state for gauges: counts by state, the queue, and every live session and agent.</summary>
    /// <remarks>
    /// Reads outside the operation gate, as heartbeats do, so metrics never make an operation wait. An operation that
    /// commits while it reads may show in some counts and not yet in others; the next snapshot catches up.
    /// </remarks>
    public async Task<GridSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        var tx = _runner.View(cancellationToken);
        return SnapshotBuilder.Build(
            tx.Now,
            await tx.ListSessionsAsync(),
            await tx.ListJobsAsync(null),
            await tx.ListAgentsAsync(),
            _evictions.WithDefaults,
            (session, jobs) => _evictions.Explain(session, jobs, tx.Now),
            agent => _liveness.LastSeen(agent.Id) ?? _liveness.StartedAt);
    }

    /// <summary>
    /// A heartbeat that also reports the machine's use: the reading is checked first (a bad one fails the heartbeat,
    /// naming its field), kept once the heartbeat is accepted, and wakes the watchers of the agent's readings.
    /// </summary>
    public async Task<AgentInstructions> HeartbeatAsync(string agentId, IReadOnlyList<HeldSessionReport> sessions, IReadOnlyList<RunningJobReport> runningJobs, AgentResources resources, CancellationToken cancellationToken, IReadOnlyList<GpuHealth>? gpuHealth = null)
    {
        GridRequests.ValidateResources(resources);
        var instructions = await HeartbeatAsync(agentId, sessions, runningJobs, cancellationToken, gpuHealth);
        _readings.Note(agentId, resources);
        _notifier.Notify(ChangeNotifier.AgentResourcesKey(agentId));
        return instructions;
    }

    /// <summary>
    /// What a session's resources use now: its own GPUs and its agent's RAM and disk, from the agent's latest reading.
    /// Reads outside the operation gate, as heartbeats do, and records no activity: looking is not activity.
    /// </summary>
    public async Task<SessionResources> SessionResourcesAsync(string sessionId, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(sessionId, "session_id");
        var view = _runner.View(cancellationToken);
        var session = await view.GetSessionAsync(sessionId);
        var agent = session.HoldsResources && session.AgentId is { } agentId ? await view.FindAgentAsync(agentId) : null;
        return SessionResources.Of(session, agent, agent is null ? null : _readings.Latest(agent.Id));
    }

    /// <summary>Agents with what they have left.</summary>
    public Task<IReadOnlyList<AgentOverview>> ListAgentsAsync(CancellationToken cancellationToken) =>
        _runner.ReadAsync<IReadOnlyList<AgentOverview>>(async tx =>
        {
            var held = (await tx.ListHeldSessionsAsync(null)).ToLookup(s => s.AgentId!, StringComparer.Ordinal);
            return (await tx.ListAgentsAsync())
                .OrderBy(a => a.Name, StringComparer.Ordinal)
                .Select(a => Overview(a, held[a.Id]))
                .ToList();
        }, cancellationToken);

    /// <summary>Stops (or with <paramref name="cordon"/> false, resumes) placing new sessions on an agent.</summary>
    public Task<AgentOverview> CordonAgentAsync(string agentId, bool cordon, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(agentId, "agent_id");
        return _runner.RunAsync(async tx =>
        {
            var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
            agent = tx.Put(agent with { Cordoned = cordon, DrainDeadline = cordon ? agent.DrainDeadline : null });
            if (!cordon)
            {
                // Capacity came back: let the scheduler look again.
                tx.RequestScheduling();
            }

            return await OverviewAsync(tx, agent);
        }, cancellationToken);
    }

    /// <summary>
    /// Puts a GPU out of service back into service now (an admin's undrain): the agent is told to readmit it, and the
    /// scheduler may place sessions on it at once.
    /// </summary>
    public Task<AgentOverview> UndrainGpuAsync(string agentId, int gpuIndex, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(agentId, "agent_id");
        return _runner.RunAsync(async tx =>
        {
            var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
            if (agent.Inventory.Gpus.All(g => g.Index != gpuIndex))
            {
                var indexes = agent.Inventory.Gpus.Count == 0 ? "it has no GPUs" : $"its GPU indexes are {string.Join(", ", agent.Inventory.Gpus.Select(g => g.Index))}";
                throw new GridException(GridError.InvalidArgument, $"gpu_index: agent {agent.Name} has no GPU {gpuIndex}; {indexes}");
            }

            _gpuFaults.Readmit(agentId, gpuIndex);
            tx.Send(agentId, new ReadmitGpu(gpuIndex, "an admin undrained it"));
            tx.RequestScheduling();
            return await OverviewAsync(tx, agent);
        }, cancellationToken);
    }

    /// <summary>
    /// Cordons an agent and moves its sessions elsewhere: each running job is asked to checkpoint and stop, then its
    /// session goes back to the queue (a new lease on another agent) and the job resumes there. Sessions whose jobs
    /// have not confirmed by <paramref name="deadline"/> move anyway, from their latest committed checkpoint.
    /// </summary>
    public Task<AgentOverview> DrainAgentAsync(string agentId, TimeSpan deadline, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(agentId, "agent_id");
        GridRequests.ValidateDrainDeadline(deadline);
        return _runner.RunAsync(async tx =>
        {
            var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
            var graceEndsAt = tx.Now + deadline;
            agent = tx.Put(agent with { Cordoned = true, DrainDeadline = graceEndsAt });
            foreach (var session in (await tx.ListHeldSessionsAsync(agentId)).Where(s => s.EvictingReason is null))
            {
                await _evictions.BeginAsync(tx, session, EvictionCause.Drain, $"agent {agent.Name} draining", moves: true, graceEndsAt);
            }

            return await OverviewAsync(tx, agent);
        }, cancellationToken);
    }

    /// <summary>Places pending sessions (within their owners' quotas), then starts the head job of every ready session.</summary>
    /// <remarks>Reads the queue, the held sessions and the agents, never the whole history of sessions or jobs.</remarks>
    private async ValueTask ScheduleAsync(GridTransaction tx)
    {
        var pending = await tx.ListSessionsInStateAsync(SessionState.Pending);
        if (pending.Count > 0)
        {
            var admitted = QuotaPolicy.Admit(pending, _options.Quota.IsSet ? await tx.ListSessionsOfOwnersAsync(pending.Select(s => s.Owner)) : [], _options.Quota, tx.Now);
            var placements = Scheduler.Place(admitted, await _capacity.CurrentAsync(tx));
            foreach (var placement in placements)
            {
                var before = await tx.GetSessionAsync(placement.SessionId);
                var agent = await tx.FindAgentAsync(placement.AgentId) ?? throw new InvalidOperationException($"placed on agent {placement.AgentId}, which the store does not have");
                var gpus = agent.Inventory.Gpus.Where(g => placement.GpuIndexes.Contains(g.Index));
                var placed = tx.Put(before.Place(placement.AgentId, placement.GpuIndexes, _options.Quota.Rates.ForPlacement(gpus), tx.Now), before);
                var queuedFor = tx.Now - before.UpdatedAt;
                tx.Measure(instruments => instruments.LeaseGranted(queuedFor));
                tx.Send(placed.AgentId!, new AssignSession(placed.Id, placed.LeaseEpoch, placed.GpuIndexes));
                CoordinatorLog.SessionPlaced(_logger, placed.Id, placed.AgentId!, placed.LeaseEpoch);
            }

            if (_options.Preemption)
            {
                var placedIds = placements.Select(p => p.SessionId).ToHashSet(StringComparer.Ordinal);
                await _preemptions.PreemptAsync(tx, [.. admitted.Where(s => !placedIds.Contains(s.Id))], all => CapacitiesAsync(tx, all));
            }
        }

        var queued = await tx.ListJobsInStateAsync(JobState.Queued);
        if (queued.Count == 0)
        {
            return;
        }

        var ready = new List<Session>();
        foreach (var sessionId in queued.Select(j => j.SessionId).Distinct(StringComparer.Ordinal))
        {
            if (await tx.FindSessionAsync(sessionId) is { State: SessionState.Ready } session)
            {
                ready.Add(session);
            }
        }

        var heads = queued.ToLookup(j => j.SessionId, StringComparer.Ordinal);
        foreach (var session in ready.OrderBy(s => s.QueueOrder))
        {
            var next = heads[session.Id].OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal).First();
            StartJobOn(tx, session, next);
        }
    }

    private void StartJobOn(GridTransaction tx, Session session, Job job)
    {
        var started = job.Start(session.LeaseEpoch, tx.Now);
        started = tx.AppendEvent(started, new JobStateChanged(JobState.Running, started.Attempt > 1 ? $"attempt {started.Attempt} on {session.AgentId}" : $"started on {session.AgentId}"));
        tx.Put(session.MarkBusy($"running {job.Id}", tx.Now), session);
        tx.Send(session.AgentId!, ToStartDirective(started, session));
    }

    private static StartJob ToStartDirective(Job job, Session session) =>
        new(job.Id, session.Id, session.LeaseEpoch, job.Attempt, job.Spec, session.GpuIndexes, job.ResumedFrom);

    /// <summary>What each ready, uncordoned agent with an open directive stream has left beside the sessions held on it.</summary>
    private async ValueTask<List<AgentCapacity>> CapacitiesAsync(GridTransaction tx, IReadOnlyList<Session> sessions)
    {
        var held = sessions.Where(s => s.IsHeldOn(null)).ToLookup(s => s.AgentId!, StringComparer.Ordinal);
        return (await tx.ListAgentsAsync())
            .Where(a => a.State == AgentState.Ready && !a.Cordoned && _directives.IsOpen(a.Id))
            .Select(a => AgentCapacity.Of(a, held[a.Id], _gpuFaults.Unhealthy(a.Id)))
            .ToList();
    }

    private async ValueTask<AgentOverview> OverviewAsync(GridTransaction tx, Agent agent) =>
        Overview(agent, await tx.ListHeldSessionsAsync(agent.Id));

    private AgentOverview Overview(Agent agent, IEnumerable<Session> held)
    {
        var sessions = held.ToList();
        var capacity = AgentCapacity.Of(agent, sessions, _gpuFaults.Unhealthy(agent.Id));
        return new AgentOverview(
            agent,
            [.. capacity.FreeGpus.Select(g => g.Index)],
            capacity.FreeCpuSlots,
            [.. sessions.Select(s => s.Id)],
            _liveness.LastSeen(agent.Id) ?? agent.LastHeartbeatAt) { GpuHealth = _gpuFaults.Of(agent.Id) };
    }
}
