using GridTrain.Agent.Connection;
using GridTrain.Agent.Hosting;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging.Abstractions;

namespace GridTrain.IntegrationTests.AgentProtocol;

/// <summary>
/// A heartbeat's answer is about the leases its request listed. A session resumed right after it was released gets a
/// new lease whose AssignSession can reach the agent before the answer to a heartbeat sent under the old lease; that
/// answer ("release it") must not take the new lease away, or the session would wait in STARTING forever.
/// </summary>
public sealed class HeartbeatAnswerTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-heartbeat-answer-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private ScriptedController _controller = null!;
    private GridAgent _agent = null!;
    private Task _run = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _controller = await ScriptedController.StartAsync();
        var options = new AgentOptions { Controller = _controller.Address, Name = "scripted-agent", WorkDirectory = _root, JoinToken = TestCredentials.JoinToken };
        _agent = new GridAgent(options, TimeProvider.System, NullLogger<GridAgent>.Instance);
        _run = _agent.RunAsync(_stop.Token);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await _agent.DisposeAsync();
        await _controller.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ReleaseAnsweringAnOldLease_KeepsTheNewerLeaseThatOvertookIt()
    {
        await _controller.Commands.Writer.WriteAsync(Assign(epoch: 1));
        await _controller.HeartbeatAsync(h => Holds(h, 1));

        // The next heartbeat under epoch 1 is answered "release" only after the agent has taken the new lease.
        var answered = 0;
        _controller.Answer = async request =>
        {
            if (!Holds(request, 1) || Interlocked.Exchange(ref answered, 1) == 1)
            {
                return new HeartbeatResponse();
            }

            await _controller.Commands.Writer.WriteAsync(new AgentCommand { ReleaseSession = new ReleaseSession { SessionId = "ses-1", Reason = "evicted" } });
            await _controller.Commands.Writer.WriteAsync(Assign(epoch: 2));

            // A barrier: the agent handles commands in order and refuses a job whose id is not a safe path with a result
            // report, so once that report arrives it holds lease 2.
            await _controller.Commands.Writer.WriteAsync(new AgentCommand { StartJob = new StartJob { JobId = "../barrier", SessionId = "ses-1", LeaseEpoch = 2, Attempt = 1 } });
            using var timeout = new CancellationTokenSource(GridEvents.Timeout);
            var refused = await _controller.Results.Reader.ReadAsync(timeout.Token);
            Assert.Equal("../barrier", refused.JobId);
            Assert.Equal(2, Assert.Single(_agent.Status().Sessions).LeaseEpoch);
            return new HeartbeatResponse { ReleaseSessionIds = { "ses-1" } };
        };

        var after = await _controller.HeartbeatAsync(h => Volatile.Read(ref answered) == 1 && !Holds(h, 1));

        var held = Assert.Single(after.Sessions);
        Assert.Equal(2, held.LeaseEpoch);
        Assert.Equal(2, Assert.Single(_agent.Status().Sessions).LeaseEpoch);
    }

    [Fact]
    public async Task ReleaseAnsweringTheCurrentLease_ReleasesIt()
    {
        await _controller.Commands.Writer.WriteAsync(Assign(epoch: 1));
        await _controller.HeartbeatAsync(h => Holds(h, 1));
        _controller.Answer = request => Task.FromResult(Holds(request, 1) ? new HeartbeatResponse { ReleaseSessionIds = { "ses-1" } } : new HeartbeatResponse());

        var after = await _controller.HeartbeatAsync(h => h.Sessions.Count == 0);

        Assert.Empty(after.Sessions);
        Assert.Empty(_agent.Status().Sessions);
    }

    private static AgentCommand Assign(long epoch) => new() { AssignSession = new AssignSession { SessionId = "ses-1", LeaseEpoch = epoch } };

    private static bool Holds(HeartbeatRequest heartbeat, long epoch) => heartbeat.Sessions.Any(s => s.SessionId == "ses-1" && s.LeaseEpoch == epoch);
}
