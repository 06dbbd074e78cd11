using Grpc.Core;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary>What an agent reports is bounded: a job's huge log line is cut (the report is kept), an over-long or escaping checkpoint URI refused.</summary>
public sealed class ReportLimitsTests(ControllerFixture controller) : IClassFixture<ControllerFixture>
{
    [Fact]
    public async Task ReportJobEvents_HugeLogLineCut_LongOrEscapingCheckpointUriRefused()
    {
        var agent = await TestAgent.RegisterAsync(controller.Client.Channel, "limits-agent");
        using var commands = agent.Client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = agent.AgentId });
        var session = await controller.Client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        var assign = await NextAsync(commands, c => c.AssignSession?.SessionId == session.Id);
        var heartbeat = new HeartbeatRequest { AgentId = agent.AgentId, Sessions = { new SessionLease { SessionId = session.Id, LeaseEpoch = assign.AssignSession.LeaseEpoch } } };
        await agent.Client.HeartbeatAsync(heartbeat);
        var job = await controller.Client.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            SessionId = session.Id,
            Spec = new JobSpec { Model = new ModelSpec { Name = "mlp" }, Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 64 } } },
        });
        var start = (await NextAsync(commands, c => c.StartJob?.JobId == job.Id)).StartJob;

        await agent.Client.ReportJobEventsAsync(new ReportJobEventsRequest
        {
            AgentId = agent.AgentId,
            JobId = job.Id,
            LeaseEpoch = start.LeaseEpoch,
            Events = { new JobEvent { Sequence = 1, Log = new LogLine { Stream = "stderr", Text = new string('x', 200_000) } } },
        });
        var refused = await Assert.ThrowsAsync<RpcException>(() => agent.Client.ReportJobEventsAsync(new ReportJobEventsRequest
        {
            AgentId = agent.AgentId,
            JobId = job.Id,
            LeaseEpoch = start.LeaseEpoch,
            Events = { new JobEvent { Sequence = 2, Checkpoint = new CheckpointWritten { Step = 1, Uri = "/ckpt/" + new string('y', 5000) } } },
        }).ResponseAsync);

        var escaping = await Assert.ThrowsAsync<RpcException>(() => agent.Client.ReportJobEventsAsync(new ReportJobEventsRequest
        {
            AgentId = agent.AgentId,
            JobId = job.Id,
            LeaseEpoch = start.LeaseEpoch,
            Events = { new JobEvent { Sequence = 2, Checkpoint = new CheckpointWritten { Step = 1, Uri = "/var/lib/agent/jobs/../../../../etc/passwd" } } },
        }).ResponseAsync);

        var escapingStoreUri = await Assert.ThrowsAsync<RpcException>(() => agent.Client.ReportJobEventsAsync(new ReportJobEventsRequest
        {
            AgentId = agent.AgentId,
            JobId = job.Id,
            LeaseEpoch = start.LeaseEpoch,
            Events = { new JobEvent { Sequence = 2, Checkpoint = new CheckpointWritten { Step = 1, Uri = "gdrive:1AbC/../../x" } } },
        }).ResponseAsync);

        // A store's URI (the Drive store's gdrive:{manifest id}/{file}) is a valid resume point.
        await agent.Client.ReportJobEventsAsync(new ReportJobEventsRequest
        {
            AgentId = agent.AgentId,
            JobId = job.Id,
            LeaseEpoch = start.LeaseEpoch,
            Events = { new JobEvent { Sequence = 2, Checkpoint = new CheckpointWritten { Step = 1, Uri = "gdrive:1AbC_d-9/ckpt-000000001-e1-a1.bin" } } },
        });

        var log = await controller.Client.WatchJobAsync(job.Id, follow: true).FirstAsync(e => e.Log is not null);
        Assert.Equal(16 * 1024, log.Log.Text.Length);
        Assert.EndsWith("…", log.Log.Text, StringComparison.Ordinal);
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("events[0].checkpoint.uri: at most 4096 characters", refused.Status.Detail);
        Assert.Equal(StatusCode.InvalidArgument, escaping.StatusCode);
        Assert.StartsWith("events[0].checkpoint.uri: must be a normalized path", escaping.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("events[0].checkpoint.uri: must not contain '..' or control characters", escapingStoreUri.Status.Detail);
        var stored = await controller.Client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal("gdrive:1AbC_d-9/ckpt-000000001-e1-a1.bin", stored.LatestCheckpoint);
    }

    private static async Task<AgentCommand> NextAsync(AsyncServerStreamingCall<AgentCommand> commands, Func<AgentCommand, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await commands.ResponseStream.MoveNext(timeout.Token))
        {
            if (match(commands.ResponseStream.Current))
            {
                return commands.ResponseStream.Current;
            }
        }

        throw new InvalidOperationException("the command stream ended");
    }
}
