using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Eviction;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests.Coordination;

/// <summary>Heartbeat after heartbeat repeats the same health: kept as it is; any difference is recorded.</summary>
public sealed class GpuFaultsNoteTests
{
    private readonly GpuFaults _faults = new(new Evictions(new GridOptions(), new SessionActivity(new FakeTimeProvider(), 0.05), NullLogger.Instance), NullLogger.Instance);

    [Fact]
    public void Note_SameReportAgain_KeepsWhatItHadAndChangesNothing()
    {
        Assert.False(_faults.Note("a1", [GpuHealth.Ok(0, "u0"), Faulty(1)]));
        var kept = _faults.Of("a1");
        var version = _faults.Version;

        Assert.False(_faults.Note("a1", [GpuHealth.Ok(0, "u0"), Faulty(1)]));

        Assert.Same(kept, _faults.Of("a1"));
        Assert.Equal(version, _faults.Version);
    }

    [Fact]
    public void Note_ADifferentReport_IsRecorded_AndAGpuBackInServiceSaysSo()
    {
        _faults.Note("a1", [GpuHealth.Ok(0, "u0"), Faulty(1)]);
        var version = _faults.Version;

        Assert.True(_faults.Note("a1", [GpuHealth.Ok(0, "u0"), GpuHealth.Ok(1, "u1")]));

        Assert.All(_faults.Of("a1"), g => Assert.True(g.Healthy));
        Assert.NotEqual(version, _faults.Version);
        Assert.Empty(_faults.Unhealthy("a1"));
    }

    [Fact]
    public void Note_ReportOutOfOrder_IsKeptInIndexOrder()
    {
        _faults.Note("a1", [Faulty(1), GpuHealth.Ok(0, "u0")]);

        Assert.Equal([0, 1], _faults.Of("a1").Select(g => g.Index));
        Assert.Equal([1], _faults.Unhealthy("a1"));
        Assert.False(_faults.Note("a1", [Faulty(1), GpuHealth.Ok(0, "u0")]));
    }

    private static GpuHealth Faulty(int index) => new(index, $"u{index}", GpuFaultCause.HealthCommand, "Xid 79", new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
}
