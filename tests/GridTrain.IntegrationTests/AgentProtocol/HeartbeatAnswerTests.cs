using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.AgentProtocol;

/// <summary>
/// A heartbeat's answer is about the leases its request listed. A session resumed right after it was released gets a
/// new lease whose AssignSession can reach the agent before the answer to a heartbeat sent under the old lease; that
/// answer ("release it") must not take the new lease away, or the session would wait in STARTING forever.
/// </summary>
public sealed class HeartbeatAnswerTests : IAsyncLifetime
{
    private ScriptedAgent _grid = null!;

    public async Task InitializeAsync() => _grid = await ScriptedAgent.StartAsync("scripted-agent");

    public async Task DisposeAsync() => await _grid.DisposeAsync();

    [Fact]
    public async Task ReleaseAnsweringAnOldLease_KeepsTheNewerLeaseThatOvertookIt()
    {
        await _grid.Controller.Commands.Writer.WriteAsync(Assign(epoch: 1));
        await _grid.Controller.HeartbeatAsync(h => Holds(h, 1));

        // The next heartbeat under epoch 1 is answered "release" only after the agent has taken the new lease.
        var answered = 0;
        _grid.Controller.Answer = async request =>
        {
            if (!Holds(request, 1) || Interlocked.Exchange(ref answered, 1) == 1)
            {
                return new HeartbeatResponse();
            }

            await _grid.Controller.Commands.Writer.WriteAsync(new AgentCommand { ReleaseSession = new ReleaseSession { SessionId = "ses-1", Reason = "evicted" } });
            await _grid.Controller.Commands.Writer.WriteAsync(Assign(epoch: 2));

            // A barrier: the agent handles commands in order and refuses a job whose id is not a safe path with a result
            // report, so once that report arrives it holds lease 2.
            await _grid.Controller.Commands.Writer.WriteAsync(new AgentCommand { StartJob = new StartJob { JobId = "../barrier", SessionId = "ses-1", LeaseEpoch = 2, Attempt = 1 } });
            using var timeout = new CancellationTokenSource(GridEvents.Timeout);
            var refused = await _grid.Controller.Results.Reader.ReadAsync(timeout.Token);
            Assert.Equal("../barrier", refused.JobId);
            Assert.Equal(2, Assert.Single(_grid.Agent.Status().Sessions).LeaseEpoch);
            return new HeartbeatResponse { ReleaseSessionIds = { "ses-1" } };
        };

        var after = await _grid.Controller.HeartbeatAsync(h => Volatile.Read(ref answered) == 1 && !Holds(h, 1));

        var held = Assert.Single(after.Sessions);
        Assert.Equal(2, held.LeaseEpoch);
        Assert.Equal(2, Assert.Single(_grid.Agent.Status().Sessions).LeaseEpoch);
    }

    [Fact]
    public async Task ReleaseAnsweringTheCurrentLease_ReleasesIt()
    {
        await _grid.Controller.Commands.Writer.WriteAsync(Assign(epoch: 1));
        await _grid.Controller.HeartbeatAsync(h => Holds(h, 1));
        _grid.Controller.Answer = request => Task.FromResult(Holds(request, 1) ? new HeartbeatResponse { ReleaseSessionIds = { "ses-1" } } : new HeartbeatResponse());

        var after = await _grid.Controller.HeartbeatAsync(h => h.Sessions.Count == 0);

        Assert.Empty(after.Sessions);
        Assert.Empty(_grid.Agent.Status().Sessions);
    }

    private static AgentCommand Assign(long epoch) => new() { AssignSession = new AssignSession { SessionId = "ses-1", LeaseEpoch = epoch } };

    private static bool Holds(HeartbeatRequest heartbeat, long epoch) => heartbeat.Sessions.Any(s => s.SessionId == "ses-1" && s.LeaseEpoch == epoch);
}
