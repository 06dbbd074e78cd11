using GridTrain.Domain.Eviction;
using GridTrain.Domain.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests.Coordination;

public sealed class SessionActivityTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void LastActivity_RecordedAfterTheStoredOne_TheRecordedOne()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0);
        var session = Held(epoch: 1);
        _time.Advance(TimeSpan.FromMilliseconds(5));

        activity.Record(session.Id, "keep-alive");

        Assert.Equal(_time.GetUtcNow(), activity.LastActivity(session));
    }

    [Fact]
    public void WorkInProgress_IsActivityUntilItEnds_AndWhyIdleSaysWhatCounted()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0);
        var session = Held(epoch: 1);
        var exec = activity.Begin(session.Id, "exec");
        var copy = activity.Begin(session.Id, "cp");
        _time.Advance(TimeSpan.FromHours(3));

        Assert.Equal(_time.GetUtcNow(), activity.LastActivity(session));
        Assert.Equal("cp in progress: the session is in use", activity.Describe(session, _time.GetUtcNow()));

        copy.Dispose();
        Assert.Equal(_time.GetUtcNow(), activity.LastActivity(session));
        exec.Dispose();
        exec.Dispose();
        var ended = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(ended, activity.LastActivity(session));
        Assert.Equal("last activity: exec 2m ago", activity.Describe(session, _time.GetUtcNow()));
    }

    [Fact]
    public void LastActivity_StoredOneIsNewer_TheStoredOne()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0);
        activity.Record("ses-1", "keep-alive");
        var session = Held(epoch: 1) with { LastActivityAt = _time.GetUtcNow() + TimeSpan.FromMilliseconds(1) };

        Assert.Equal(session.LastActivityAt, activity.LastActivity(session));
    }

    [Fact]
    public void LowGpu_ReadingsBelowTheThreshold_WindowStartsAtTheFirst()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0.1);
        var started = _time.GetUtcNow();
        activity.NoteGpuUtilization("ses-1", 1, 0.05, started);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        activity.NoteGpuUtilization("ses-1", 1, 0.02, _time.GetUtcNow());

        Assert.Equal(new LowGpuUtilization(started, 0.1), activity.LowGpu(Held(epoch: 1)));
    }

    [Fact]
    public void LowGpu_ReadingAtTheThresholdOrNone_EndsTheWindow()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0.1);
        activity.NoteGpuUtilization("ses-1", 1, 0.05, _time.GetUtcNow());
        activity.NoteGpuUtilization("ses-1", 1, 0.1, _time.GetUtcNow());
        Assert.Null(activity.LowGpu(Held(epoch: 1)));

        activity.NoteGpuUtilization("ses-1", 1, 0.05, _time.GetUtcNow());
        activity.NoteGpuUtilization("ses-1", 1, null, _time.GetUtcNow());
        Assert.Null(activity.LowGpu(Held(epoch: 1)));
    }

    [Fact]
    public void LowGpu_NewLease_WindowStartsAgainAndOldLeaseDoesNotCount()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0.1);
        activity.NoteGpuUtilization("ses-1", 1, 0.05, _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMilliseconds(10));

        Assert.Null(activity.LowGpu(Held(epoch: 2)));
        activity.NoteGpuUtilization("ses-1", 2, 0.05, _time.GetUtcNow());

        Assert.Equal(_time.GetUtcNow(), activity.LowGpu(Held(epoch: 2))!.Since);
    }

    [Fact]
    public void NoteGpuUtilization_ThresholdOff_NoWindow()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0);
        activity.NoteGpuUtilization("ses-1", 1, 0.0, _time.GetUtcNow());

        Assert.Null(activity.LowGpu(Held(epoch: 1)));
        Assert.Empty(activity.LowGpuReadings());
    }

    [Fact]
    public void ForgetGpuReading_DropsTheWindow()
    {
        var activity = new SessionActivity(_time, gpuStallThreshold: 0.1);
        activity.NoteGpuUtilization("ses-1", 3, 0.05, _time.GetUtcNow());
        Assert.Equal([("ses-1", 3L)], activity.LowGpuReadings());

        activity.ForgetGpuReading("ses-1");

        Assert.Empty(activity.LowGpuReadings());
    }

    private Session Held(long epoch) => new()
    {
        Id = "ses-1",
        Resources = new ResourceRequest(Runtime.Gpu, GpuCount: 1),
        State = SessionState.Ready,
        AgentId = "agt-1",
        LeaseEpoch = epoch,
        CreatedAt = _time.GetUtcNow(),
        UpdatedAt = _time.GetUtcNow(),
        LastActivityAt = _time.GetUtcNow(),
    };
}
