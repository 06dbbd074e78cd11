using System.Diagnostics.Metrics;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Controller.Metrics;

/// <summary>
/// Gauges of the grid's state on the meter <c>GridTrain.Controller</c>, read from the latest <see cref="GridSnapshot"/>:
/// counts by state and the queue as of the snapshot; ages, countdowns and heartbeat lag computed when read. Per-session
/// series exist only for live sessions (pending or holding an agent), per-agent ones only for agents that are not lost.
/// </summary>
internal sealed class GridStateGauges : IDisposable
{
    public const string MeterName = "GridTrain.Controller";

    private readonly RecyclingMeter _meter;
    private readonly TimeProvider _time;
    private volatile GridSnapshot _snapshot = GridSnapshot.Empty;

    /// <param name="meterFactory">The host's meter factory: the meter's scope, by which the host's exporter knows its own.</param>
    /// <param name="time">The clock ages and countdowns are read against.</param>
    /// <param name="options">Its <see cref="ControllerMetricsOptions.SessionSeriesLimit"/> is the exporter's cardinality limit for these gauges.</param>
    public GridStateGauges(IMeterFactory meterFactory, TimeProvider time, ControllerMetricsOptions options)
    {
        _time = time;
        _meter = new RecyclingMeter(new MeterOptions(MeterName) { Scope = meterFactory }, options.SessionSeriesLimit, CreateInstruments);
    }

    /// <summary>The snapshot the gauges read now.</summary>
    public GridSnapshot Snapshot => _snapshot;

    public void Update(GridSnapshot snapshot)
    {
        // Of the per-session gauges, the state gauge has the most varied series (one per session and state).
        // Labels are made as they are read, not collected first: an array of tens of thousands of new strings would be
        // a large (so old) object pointing at new ones, which every collection scans until the array is collected.
        _meter.Observe(
            new Labels<SessionSnapshot>(snapshot.Sessions, s => $"{s.Id}|{StateLabel(s.State)}|{s.AgentName}"),
            new Labels<AgentSnapshot>(snapshot.Agents, a => a.Name));
        _snapshot = snapshot;
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>Whether <paramref name="instrument"/> is one of these gauges with a series per session or per agent.</summary>
    public static bool HasSeriesPerEntity(Instrument instrument) =>
        instrument.Meter.Name == MeterName
        && (instrument.Name.StartsWith("gridtrain.session.", StringComparison.Ordinal) || instrument.Name == "gridtrain.agent.heartbeat.lag");

    private void CreateInstruments(Meter meter)
    {
        meter.CreateObservableGauge("gridtrain.sessions", ObserveSessions, "{session}", "Sessions by state.");
        meter.CreateObservableGauge("gridtrain.agents", ObserveAgents, "{agent}", "Agents by state: ready, cordoned (ready, taking no new sessions) or lost.");
        meter.CreateObservableGauge("gridtrain.scheduling.queue.depth", () => _snapshot.QueuedSessions, "{session}", "Sessions waiting for an agent.");
        meter.CreateObservableGauge("gridtrain.jobs.queued", () => _snapshot.QueuedJobs, "{job}", "Jobs waiting to start in their session.");
        meter.CreateObservableGauge("gridtrain.session.state", ObserveSessionStates, "", "1 for each live session, labelled by its state; the agent label names the agent holding it.");
        meter.CreateObservableGauge("gridtrain.session.lease.epoch", ObserveLeaseEpochs, "", "Lease epoch of each session holding an agent (grows by one on every placement).");
        meter.CreateObservableGauge("gridtrain.session.checkpoint.age", ObserveCheckpointAges, "s", "Time since the newest checkpoint of each live session that has one.");
        meter.CreateObservableGauge("gridtrain.session.eviction.remaining", ObserveEvictionCountdowns, "s", "Time until each session holding an agent is evicted if nothing changes; reason idle or lifetime.");
        meter.CreateObservableGauge("gridtrain.session.lifetime.remaining", ObserveLifetimes, "s", "Time until each live session reaches its maximum lifetime.");
        meter.CreateObservableGauge("gridtrain.agent.heartbeat.lag", ObserveHeartbeatLag, "s", "Time since each agent's last heartbeat, as this controller saw it.");
        meter.CreateObservableCounter("gridtrain.units.spent", ObserveUnitsSpent, "{unit}", "Compute units each user's sessions have spent, at the controller's rates (--unit-rate).");
        meter.CreateObservableGauge("gridtrain.units.burn_rate_per_hour", ObserveBurnRates, "{unit}", "Compute units an hour each user's sessions spend now.");
        meter.CreateObservableGauge("gridtrain.grid.snapshot.age", () => Seconds(_snapshot.At), "s", "Age of the state the other grid gauges were read from.");
    }

    private IEnumerable<Measurement<int>> ObserveSessions() =>
        _snapshot.SessionsByState.Select(pair => new Measurement<int>(pair.Value, Tag("state", StateLabel(pair.Key))));

    private IEnumerable<Measurement<int>> ObserveAgents() =>
        _snapshot.AgentsByState.Select(pair => new Measurement<int>(pair.Value, Tag("state", pair.Key)));

    private IEnumerable<Measurement<int>> ObserveSessionStates() =>
        _snapshot.Sessions.Select(s => new Measurement<int>(1, Tag("session", s.Id), Tag("state", StateLabel(s.State)), Tag("agent", s.AgentName ?? "")));

    private IEnumerable<Measurement<long>> ObserveLeaseEpochs() =>
        _snapshot.Sessions.Where(s => s.AgentName is not null).Select(s => new Measurement<long>(s.LeaseEpoch, Tag("session", s.Id), Tag("agent", s.AgentName)));

    private IEnumerable<Measurement<double>> ObserveCheckpointAges() =>
        _snapshot.Sessions.Where(s => s.CheckpointAt is not null).Select(s => new Measurement<double>(Seconds(s.CheckpointAt!.Value), Tag("session", s.Id)));

    private IEnumerable<Measurement<double>> ObserveEvictionCountdowns() =>
        _snapshot.Sessions.Where(s => s.EvictionAt is not null).Select(s => new Measurement<double>(
            Math.Max(0, -Seconds(s.EvictionAt!.Value)), Tag("session", s.Id), Tag("reason", s.EvictionReason ?? "idle")));

    private IEnumerable<Measurement<double>> ObserveLifetimes() =>
        _snapshot.Sessions.Select(s => new Measurement<double>(Math.Max(0, -Seconds(s.ExpiresAt)), Tag("session", s.Id)));

    private IEnumerable<Measurement<double>> ObserveHeartbeatLag() =>
        _snapshot.Agents.Select(a => new Measurement<double>(Math.Max(0, Seconds(a.LastSeen)), Tag("agent", a.Name)));

    private IEnumerable<Measurement<double>> ObserveUnitsSpent() =>
        _snapshot.Users.Select(u => new Measurement<double>(u.UnitsSpent, Tag("user", u.User)));

    private IEnumerable<Measurement<double>> ObserveBurnRates() =>
        _snapshot.Users.Select(u => new Measurement<double>(u.BurnRate, Tag("user", u.User)));

    /// <summary>Seconds from <paramref name="instant"/> to now (negative for an instant in the future).</summary>
    private double Seconds(DateTimeOffset instant) =>
        instant == DateTimeOffset.MinValue ? 0 : (_time.GetUtcNow() - instant).TotalSeconds;

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private static string StateLabel(SessionState state) => state.ToString().ToLowerInvariant();

    /// <summary>The label of each item, made when enumerated.</summary>
    private sealed class Labels<T>(IReadOnlyList<T> items, Func<T, string> label) : IReadOnlyCollection<string>
    {
        public int Count => items.Count;

        public IEnumerator<string> GetEnumerator()
        {
            foreach (var item in items)
            {
                yield return label(item);
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
