using GridTrain.Domain.Agents.Health;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests;

public sealed class GpuHealthTrackerTests
{
    private const string Uuid = "GPU-11111111-2222-3333-4444-555555555555";
    private static readonly GpuFault Xid79 = new(GpuFaultCause.Xid, "Xid 79");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero));
    private readonly GpuHealthTracker _tracker;

    public GpuHealthTrackerTests() => _tracker = new GpuHealthTracker(_time, new GpuReadmission(3, TimeSpan.FromMinutes(10)));

    [Fact]
    public void Fault_TakesTheGpuOutOfService_NamingTheGpuAndTheCause()
    {
        var changed = _tracker.Observe(0, Uuid, Xid79);

        Assert.NotNull(changed);
        Assert.False(changed.Healthy);
        Assert.Equal(GpuFaultCause.Xid, changed.Cause);
        Assert.Equal($"{Uuid} Xid 79", changed.Reason);
        Assert.Equal(_time.GetUtcNow(), changed.Since);
        Assert.False(_tracker.Of(0, Uuid).Healthy);
    }

    [Fact]
    public void CleanChecks_EnoughButWithinTheWindow_GpuStaysOut_ThenComesBackOnceTheWindowHasPassed()
    {
        _tracker.Observe(0, Uuid, Xid79);
        for (var i = 0; i < 5; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            Assert.Null(_tracker.Observe(0, Uuid, null));
        }

        // Five clean checks but only four minutes from the first: not yet.
        Assert.False(_tracker.Of(0, Uuid).Healthy);
        _time.Advance(TimeSpan.FromMinutes(6));
        var back = _tracker.Observe(0, Uuid, null);

        Assert.NotNull(back);
        Assert.True(back.Healthy);
        Assert.Equal("", back.Reason);
    }

    [Fact]
    public void CleanWindowSpanned_ButTooFewChecks_GpuStaysOut()
    {
        _tracker.Observe(0, Uuid, Xid79);
        _time.Advance(TimeSpan.FromMinutes(1));
        _tracker.Observe(0, Uuid, null);
        _time.Advance(TimeSpan.FromMinutes(30));

        Assert.Null(_tracker.Observe(0, Uuid, null));
        Assert.False(_tracker.Of(0, Uuid).Healthy);
    }

    [Fact]
    public void FaultDuringTheCleanWindow_StartsTheWindowAgain()
    {
        _tracker.Observe(0, Uuid, Xid79);
        _time.Advance(TimeSpan.FromMinutes(1));
        _tracker.Observe(0, Uuid, null);
        _tracker.Observe(0, Uuid, null);
        _time.Advance(TimeSpan.FromMinutes(10));
        Assert.Null(_tracker.Observe(0, Uuid, new GpuFault(GpuFaultCause.EccUncorrectable, "1 new volatile uncorrectable ECC error(s)")));

        _time.Advance(TimeSpan.FromMinutes(1));
        _tracker.Observe(0, Uuid, null);
        _tracker.Observe(0, Uuid, null);
        Assert.Null(_tracker.Observe(0, Uuid, null));
        Assert.False(_tracker.Of(0, Uuid).Healthy);
        // Still named by the first fault: the GPU never came back in between.
        Assert.Equal(GpuFaultCause.Xid, _tracker.Of(0, Uuid).Cause);
    }

    [Fact]
    public void AdminReadmit_BringsTheGpuBackAtOnce_AndIsANoOpForAHealthyGpu()
    {
        _tracker.Observe(0, Uuid, Xid79);
        _tracker.Observe(1, "GPU-other", null);

        Assert.True(_tracker.Readmit(0)!.Healthy);
        Assert.True(_tracker.Of(0, Uuid).Healthy);
        Assert.Null(_tracker.Readmit(1));
        Assert.Null(_tracker.Readmit(7));
    }

    [Theory]
    [InlineData(13, true)]
    [InlineData(31, true)]
    [InlineData(43, true)]
    [InlineData(45, true)]
    [InlineData(68, true)]
    [InlineData(48, false)]
    [InlineData(79, false)]
    [InlineData(94, false)]
    public void Xid_ApplicationErrorsAreTheJobsFault(int xid, bool application) => Assert.Equal(application, XidCodes.IsApplicationError(xid));

    [Fact]
    public void Readmission_Invalid_NamesTheSetting()
    {
        var problems = new GpuReadmission(0, TimeSpan.FromMinutes(-1)).Validate().ToList();

        Assert.Contains(problems, p => p.StartsWith("GpuReadmitCleanChecks", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("GpuReadmitWindow", StringComparison.Ordinal));
    }
}
