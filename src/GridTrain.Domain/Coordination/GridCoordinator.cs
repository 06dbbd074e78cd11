using GridTrain.Domain.AgentProtocol;
using System.Collections.Concurrent;
using System.Threading.Channels;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// The controller's decisions: sessions, jobs, agents and scheduling. Operations are serialized; each runs
/// in a <see cref="GridTransaction"/> whose writes are saved atomically before any agent command is sent or
/// any watcher is woken, so nothing is announced that a restart could lose.
/// </summary>
public sealed partial class GridCoordinator
{
    private readonly IGridStore _store;
    private readonly TimeProvider _time;
    private readonly IIdGenerator _ids;
    private readonly GridOptions _options;
    private readonly ILogger<GridCoordinator> _logger;
    private readonly GridInstruments _instruments;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly ChangeNotifier _notifier = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Channel<AgentDirective>> _commandStreams = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _startedAt;
    private const int MaxDeferredPasses = 32;
    private long _queueOrder;
    private int _waiting;
    private bool _schedulingOwed;
    private int _deferredPasses;

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
        _time = time;
        _ids = ids;
        _options = options;
        _logger = logger;
        _instruments = instruments ?? new GridInstruments();
        _startedAt = time.GetUtcNow();
    }

    public GridOptions Options => _options;

    /// <summary>Wakes when a job's or session's event stream grows. See <see cref="ChangeNotifier"/>.</summary>
    public ChangeNotifier Changes => _notifier;

    private async Task<T> RunAsync<T>(Func<GridTransaction, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _waiting);
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }

        try
        {
            var tx = new GridTransaction(_store, _time.GetUtcNow(), cancellationToken);
            var result = await operation(tx);

            // Scheduling passes are coalesced under load: while more operations wait, the pass is left to the last
            // of them (or every MaxDeferredPasses-th), which then places everything pending at once.
            _schedulingOwed |= tx.NeedsScheduling;
            if (_schedulingOwed && (Volatile.Read(ref _waiting) == 0 || ++_deferredPasses >= MaxDeferredPasses))
            {
                _schedulingOwed = false;
                _deferredPasses = 0;
                await ScheduleAsync(tx);
            }

            if (!tx.Changes.IsEmpty)
            {
                await _store.SaveAsync(tx.Changes, CancellationToken.None);
            }

            foreach (var record in tx.Measurements)
            {
                record(_instruments);
            }

            foreach (var (agentId, command) in tx.Commands)
            {
                if (_commandStreams.TryGetValue(agentId, out var stream))
                {
                    stream.Writer.TryWrite(command);
                }
            }

            foreach (var key in tx.Notifications)
            {
                _notifier.Notify(key);
            }

            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task RunAsync(Func<GridTransaction, ValueTask> operation, CancellationToken cancellationToken) =>
        RunAsync<bool>(async tx =>
        {
            await operation(tx);
            return true;
        }, cancellationToken);

    /// <summary>Places pending sessions, then starts the head job of every ready session.</summary>
    private async ValueTask ScheduleAsync(GridTransaction tx)
    {
        var sessions = await tx.ListSessionsAsync();
        var pending = WithinQuota([.. sessions.Where(s => s.State == SessionState.Pending)], sessions, tx.Now);
        if (pending.Count > 0)
        {
            var capacities = await CapacitiesAsync(tx, sessions);
            var placements = Scheduler.Place(pending, capacities);
            foreach (var placement in placements)
            {
                var before = await tx.GetSessionAsync(placement.SessionId);
                var placed = tx.Put(before.Place(placement.AgentId, placement.GpuIndexes, tx.Now), before);
                var queuedFor = tx.Now - before.UpdatedAt;
                tx.Measure(instruments => instruments.LeaseGranted(queuedFor));
                tx.Send(placed.AgentId!, new AssignSession(placed.Id, placed.LeaseEpoch, placed.GpuIndexes));
                Log.SessionPlaced(_logger, placed.Id, placed.AgentId!, placed.LeaseEpoch);
            }

            if (_options.Preemption)
            {
                var placedIds = placements.Select(p => p.SessionId).ToHashSet(StringComparer.Ordinal);
                await PreemptAsync(tx, [.. pending.Where(s => !placedIds.Contains(s.Id))]);
            }
        }

        var queued = (await tx.ListJobsAsync(null)).Where(j => j.State == JobState.Queued).ToLookup(j => j.SessionId, StringComparer.Ordinal);
        if (queued.Count == 0)
        {
            return;
        }

        foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.State == SessionState.Ready && queued.Contains(s.Id)))
        {
            var next = queued[session.Id].OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal).First();
            StartJobOn(tx, session, next);
        }
    }

    private void StartJobOn(GridTransaction tx, Session session, Job job)
    {
        var started = job.Start(session.LeaseEpoch, tx.Now);
        started = tx.AppendEvent(started, new JobStateChanged(JobState.Running, started.Attempt > 1 ? $"attempt {started.Attempt} on {session.AgentId}" : $"started on {session.AgentId}"));
        tx.Put(session.MarkBusy($"running {job.Id}", tx.Now), session);
        tx.Send(session.AgentId!, ToStartCommand(started, session));
    }

    private static StartJob ToStartCommand(Job job, Session session) =>
        new(job.Id, session.Id, session.LeaseEpoch, job.Attempt, job.Spec, session.GpuIndexes, job.ResumedFrom);

    private async ValueTask<List<AgentCapacity>> CapacitiesAsync(GridTransaction tx, IReadOnlyList<Session> sessions)
    {
        var held = sessions.Where(s => s.HoldsResources && s.AgentId is not null).ToLookup(s => s.AgentId!, StringComparer.Ordinal);
        return (await tx.ListAgentsAsync())
            .Where(a => a.State == AgentState.Ready && !a.Cordoned && _commandStreams.ContainsKey(a.Id))
            .Select(a => Capacity(a, held[a.Id]))
            .ToList();
    }

    private static AgentCapacity Capacity(Agent agent, IEnumerable<Session> held)
    {
        var sessions = held.ToList();
        var usedGpus = sessions.SelectMany(s => s.GpuIndexes).ToHashSet();
        var usedCpuSlots = sessions.Count(s => s.Resources.Runtime == Runtime.Cpu);
        return new AgentCapacity(
            agent.Id,
            agent.Inventory.Gpus.Where(g => !usedGpus.Contains(g.Index)).ToList(),
            Math.Max(0, agent.Inventory.CpuSlots - usedCpuSlots),
            agent.Inventory.Gpus.Count);
    }
}
