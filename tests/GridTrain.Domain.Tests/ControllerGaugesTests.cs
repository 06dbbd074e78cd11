using System.Diagnostics.Metrics;
using GridTrain.Controller.Metrics;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests;

/// <summary>The controller's state gauges compute ages and countdowns when read, not when the snapshot was taken.</summary>
public sealed class ControllerGaugesTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Gauges_AgesAndCountdowns_MoveWithTheClockBetweenSnapshots()
    {
        using var gauges = new GridStateGauges(_services.GetRequiredService<IMeterFactory>(), _time, new ControllerMetricsOptions());
        var now = _time.GetUtcNow();
        gauges.Update(new GridSnapshot(
            now,
            Enum.GetValues<SessionState>().ToDictionary(s => s, s => s == SessionState.Busy ? 1 : 0),
            new Dictionary<string, int>(StringComparer.Ordinal) { ["ready"] = 1, ["cordoned"] = 0, ["lost"] = 0 },
            QueuedSessions: 0,
            QueuedJobs: 2,
            [new SessionSnapshot("ses-1", SessionState.Busy, "a1", 3, now - TimeSpan.FromSeconds(20), now + TimeSpan.FromMinutes(10), "idle", now + TimeSpan.FromHours(2))],
            [new AgentSnapshot("a1", AgentState.Ready, now - TimeSpan.FromSeconds(1))]));

        _time.Advance(TimeSpan.FromSeconds(30));
        var read = Collect(_services.GetRequiredService<IMeterFactory>());

        Assert.Equal(50, read[("gridtrain.session.checkpoint.age", "session=ses-1")]);
        Assert.Equal(570, read[("gridtrain.session.eviction.remaining", "session=ses-1,reason=idle")]);
        Assert.Equal(7170, read[("gridtrain.session.lifetime.remaining", "session=ses-1")]);
        Assert.Equal(31, read[("gridtrain.agent.heartbeat.lag", "agent=a1")]);
        Assert.Equal(3, read[("gridtrain.session.lease.epoch", "session=ses-1,agent=a1")]);
        Assert.Equal(1, read[("gridtrain.session.state", "session=ses-1,state=busy,agent=a1")]);
        Assert.Equal(1, read[("gridtrain.sessions", "state=busy")]);
        Assert.Equal(0, read[("gridtrain.sessions", "state=pending")]);
        Assert.Equal(2, read[("gridtrain.jobs.queued", "")]);
        Assert.Equal(30, read[("gridtrain.grid.snapshot.age", "")]);
    }

    [Fact]
    public void UnitsSpentAndBurnRate_ReportedPerUser()
    {
        using var gauges = new GridStateGauges(_services.GetRequiredService<IMeterFactory>(), _time, new ControllerMetricsOptions());
        gauges.Update(GridSnapshot.Empty with { At = _time.GetUtcNow(), Users = [new UserUnits("alice", 12.5, 6), new UserUnits("bob", 0.25, 0)] });

        var read = Collect(_services.GetRequiredService<IMeterFactory>());

        Assert.Equal(12.5, read[("gridtrain.units.spent", "user=alice")]);
        Assert.Equal(0.25, read[("gridtrain.units.spent", "user=bob")]);
        Assert.Equal(6, read[("gridtrain.units.burn_rate_per_hour", "user=alice")]);
        Assert.Equal(0, read[("gridtrain.units.burn_rate_per_hour", "user=bob")]);
    }

    [Fact]
    public void GaugesWithASeriesPerSessionOrAgent_AreTheOnesGivenTheSessionSeriesLimit()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        var instruments = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Scope == factory && instrument.Meter.Name == GridStateGauges.MeterName)
                {
                    instruments.Add(instrument);
                }
            },
        };
        listener.Start();
        using var gauges = new GridStateGauges(factory, _time, new ControllerMetricsOptions());
        var now = _time.GetUtcNow();
        gauges.Update(new GridSnapshot(
            now,
            new Dictionary<SessionState, int>(),
            new Dictionary<string, int>(StringComparer.Ordinal),
            QueuedSessions: 0,
            QueuedJobs: 0,
            [new SessionSnapshot("ses-1", SessionState.Busy, "a1", 3, now, now + TimeSpan.FromMinutes(10), "idle", now + TimeSpan.FromHours(2))],
            [new AgentSnapshot("a1", AgentState.Ready, now)]));

        var perEntity = Collect(factory).Keys.Where(k => k.Tags.Contains("session=", StringComparison.Ordinal) || k.Tags.Contains("agent=", StringComparison.Ordinal)).Select(k => k.Name).ToHashSet();

        Assert.Equal(6, perEntity.Count);
        Assert.All(instruments, i => Assert.Equal(perEntity.Contains(i.Name), GridStateGauges.HasSeriesPerEntity(i)));
    }

    /// <summary>Reads the gauges of meters from <paramref name="factory"/> only (not those of other controllers in this process).</summary>
    private static Dictionary<(string Name, string Tags), double> Collect(IMeterFactory factory)
    {
        var read = new Dictionary<(string, string), double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == GridStateGauges.MeterName && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var key = string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            read[(instrument.Name, key)] = value;
        }

        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Record(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Record(i, v, t));
        listener.Start();
        listener.RecordObservableInstruments();
        return read;
    }
}
