using Grpc.Core;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Connection.Grpc;
using GridTrain.Agent.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Jobs;
using GridTrain.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GridTrain.IntegrationTests.AgentProtocol;

/// <summary>
/// An event report whose answer is lost may have been committed; when its retry is refused for a lease that has gone
/// meanwhile, the agent's link says so, because the report's checkpoints may be what the job resumes from.
/// </summary>
public sealed class StaleReportTests : IAsyncLifetime
{
    private static readonly ReportedEvent[] s_checkpoint = [new(1, new CheckpointWritten(25, "gdrive:fk1/ckpt-000000025-e1-a1.bin"))];
    private ScriptedController _controller = null!;

    public async Task InitializeAsync() => _controller = await ScriptedController.StartAsync();

    public async Task DisposeAsync() => await _controller.DisposeAsync();

    [Fact]
    public async Task RefusedAsStaleAtItsFirstTry_IsStale()
    {
        _controller.AnswerEvents = _ => throw new RpcException(new Status(StatusCode.FailedPrecondition, "stale lease epoch 1"));

        var outcome = await Link().ReportEventsAsync("job-a", 1, s_checkpoint, CancellationToken.None).WaitAsync(GridEvents.Timeout);

        Assert.Equal(ReportOutcome.Stale, outcome);
    }

    [Fact]
    public async Task RefusedAsStaleOnARetryAfterAnUnansweredTry_IsStaleAfterRetry()
    {
        // The first try is committed and its answer lost; by the retry the lease has gone.
        var tries = 0;
        _controller.AnswerEvents = _ => throw (Interlocked.Increment(ref tries) == 1
            ? new RpcException(new Status(StatusCode.Unavailable, "connection lost after the report was applied"))
            : new RpcException(new Status(StatusCode.FailedPrecondition, "stale lease epoch 1")));

        var outcome = await Link().ReportEventsAsync("job-a", 1, s_checkpoint, CancellationToken.None).WaitAsync(GridEvents.Timeout);

        Assert.Equal(ReportOutcome.StaleAfterRetry, outcome);
        Assert.Equal(2, tries);
    }

    private GrpcControllerLink Link() => new(
        Options.Create(new AgentOptions { Controller = _controller.Address, JoinToken = "join", Name = "stale-report-test" }),
        TimeProvider.System,
        NullLogger<GrpcControllerLink>.Instance);
}
