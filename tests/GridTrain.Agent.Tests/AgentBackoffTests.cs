using System.Threading.Channels;
using Grpc.Core;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Connection.Grpc;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Agent.Tests;

/// <summary>The agent's reconnect policy, driven by a fake clock: it backs off, never hot-loops, and never waits longer than its cap.</summary>
public sealed class AgentBackoffTests
{
    [Fact]
    public async Task Reconnect_ControllerDown_WaitsGrowWithJitterUpToTheCap()
    {
        var time = new FakeTimeProvider();
        var maxDelay = TimeSpan.FromSeconds(5);
        var waits = Channel.CreateUnbounded<TimeSpan>();
        var attempts = 0;
        var pipeline = AgentResilience.Create<RpcException>(() => maxDelay, time, GrpcFailures.IsTransient, (_, delay) => waits.Writer.TryWrite(delay));
        using var stop = new CancellationTokenSource();

        var reconnecting = pipeline.ExecuteAsync(
            _ =>
            {
                Interlocked.Increment(ref attempts);
                throw new RpcException(new Status(StatusCode.Unavailable, "connection refused"));
            },
            stop.Token).AsTask();

        var observed = new List<TimeSpan>();
        for (var retry = 1; retry <= 15; retry++)
        {
            var wait = await waits.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(retry, Volatile.Read(ref attempts));
            Assert.InRange(wait, TimeSpan.FromTicks(1), maxDelay);
            observed.Add(wait);
            time.Advance(wait);
        }

        Assert.True(observed.Take(3).Max() < observed.TakeLast(5).Min(), $"waits should grow: {string.Join(", ", observed)}");
        Assert.True(observed.TakeLast(5).Min() > maxDelay / 4, "late waits approach the cap");
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reconnecting);
    }

    [Fact]
    public void Backoff_CapLoweredLater_NextWaitsRespectTheNewCap()
    {
        var cap = TimeSpan.FromSeconds(5);
        Assert.All(Enumerable.Range(10, 20), attempt => Assert.InRange(AgentResilience.Backoff(attempt, cap), cap / 2, cap));
        var lowered = TimeSpan.FromSeconds(1);
        Assert.All(Enumerable.Range(10, 20), attempt => Assert.InRange(AgentResilience.Backoff(attempt, lowered), lowered / 2, lowered));
        Assert.InRange(AgentResilience.Backoff(0, cap), TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData(StatusCode.Unavailable, true)]
    [InlineData(StatusCode.DeadlineExceeded, true)]
    [InlineData(StatusCode.InvalidArgument, false)]
    [InlineData(StatusCode.FailedPrecondition, false)]
    [InlineData(StatusCode.PermissionDenied, false)]
    public void IsTransient_OnlyOutagesAreRetried(StatusCode code, bool transient)
    {
        Assert.Equal(transient, GrpcFailures.IsTransient(new RpcException(new Status(code, ""))));
    }
}
