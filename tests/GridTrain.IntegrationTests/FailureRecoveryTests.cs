using GridTrain.Testing.Network;
using System.Net;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests;

/// <summary>Machines die, networks cut, controllers crash: no training is lost or run twice. Real processes on loopback.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class FailureRecoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly GridOptions s_fastFailover = new() { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(3), MaxJobAttempts = 3 };
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-recovery-").FullName;
    private readonly List<IAsyncDisposable> _cleanup = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            if (item is AgentProcess agent)
            {
                // Shown with a failed test: what the agents saw is usually what explains it.
                output.WriteLine($"--- agent {agent.Name}:\n{agent.Output()}");
            }

            await item.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task AgentKilled_JobResumesOnTheOtherAgent_FromItsLatestCheckpoint()
    {
        var (client, _) = await StartControllerAsync();
        var agents = new[] { Agent("agent-a", client.Address), Agent("agent-b", client.Address) };
        await Task.WhenAll(agents.Select(a => a.WaitForLineAsync("registered as", GridEvents.Timeout)));
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        var beforeKill = await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        var session = await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        var victim = agents.Single(a => Directory.Exists(Path.Combine(a.WorkDirectory, "jobs", job.Id)));
        var orphan = JobProcesses.Find(job.Id)!.Value;

        await victim.KillAsync();

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(2, finished.Attempt);
        Assert.Equal(900, finished.Result!.Steps);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var moved = events.FindIndex(e => e.StateChanged?.State == JobState.Queued && e.Sequence > beforeKill[^1].Sequence);
        var lastCheckpoint = events.Take(moved).Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.Equal(lastCheckpoint.Uri, finished.ResumedFrom);
        Assert.StartsWith(victim.WorkDirectory, finished.ResumedFrom, StringComparison.Ordinal);
        var survivor = agents.Single(a => a != victim);
        Assert.StartsWith(survivor.WorkDirectory, finished.Result.CheckpointUri, StringComparison.Ordinal);
        var firstProgressAfterMove = events.Skip(moved).First(e => e.KindCase == JobEvent.KindOneofCase.Progress).Progress;
        Assert.True(firstProgressAfterMove.Step > lastCheckpoint.Step, "the new attempt continues after the checkpoint it resumed from");
        var after = await client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        Assert.True(after.LeaseEpoch > session.LeaseEpoch, "the move took a new lease epoch");
        Assert.False(JobProcesses.IsAlive(orphan), "the dead agent's job process stopped when its agent died");
    }

    [Fact]
    public async Task ControllerKilled_RestartedOnTheSameDatabase_TrainingContinues()
    {
        var data = Path.Combine(_root, "controller");
        var controller = await ControllerProcess.StartAsync(data);
        _cleanup.Add(controller);
        var address = controller.Address;
        using var client = new GridTrainClient(address);
        var agent = Agent("agent-a", address);
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);

        await controller.KillAsync();
        // Losing the agent is not what this test is about: the restarted controller gives it as long as production
        // would to reconnect, however slowly this machine restarts the controller and the agent's backoff runs.
        var restarted = await ControllerProcess.StartAsync(data, address.Port, agentTimeout: "30s");
        _cleanup.Add(restarted);

        var found = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Contains(found.State, new[] { JobState.Running, JobState.Succeeded });
        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(1, finished.Attempt);
        Assert.Equal(900, finished.Result!.Steps);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        var sessions = await client.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true });
        Assert.Contains(sessions.Sessions, s => s.Id == job.SessionId && s.State == SessionState.Terminated);
    }

    [Fact]
    public async Task AgentCutOff_JobMoves_AndWhenHealedItsStaleProcessIsStoppedAndRefused()
    {
        // The controller's clock is driven: the cut-off agent is declared lost the moment the test says, while its
        // job process certainly still trains, however fast the machine is. Agents and job processes run in real time.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var agentTimeout = TimeSpan.FromMinutes(1);
        var (client, server) = await StartControllerAsync(new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = agentTimeout, MaxJobAttempts = 3 }, time);
        var proxy = new BlackholeProxy(client.Address);
        _cleanup.Add(proxy);
        var cutOff = Agent("agent-cut", proxy.Address);
        await cutOff.WaitForLineAsync("registered as", GridEvents.Timeout);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        var beforeCut = await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        var stale = JobProcesses.Find(job.Id)!.Value;

        proxy.Cut();
        // A heartbeat already past the proxy when it was cut may land after an advance: then the next advance counts.
        ListAgentsResponse fleet;
        var advances = 0;
        do
        {
            time.Advance(agentTimeout + TimeSpan.FromSeconds(1));
            await server.Services.GetRequiredService<GridCoordinator>().SweepAsync(CancellationToken.None);
            fleet = await client.Fleet.ListAgentsAsync(new ListAgentsRequest());
        }
        while (fleet.Agents.Single(a => a.Name == "agent-cut").State != AgentState.Lost && ++advances < 3);

        Assert.Equal(AgentState.Lost, fleet.Agents.Single(a => a.Name == "agent-cut").State);
        Assert.True(JobProcesses.IsAlive(stale), "cut off, the old process cannot know yet");

        // The survivor joins after the advance, so the driven clock never finds it silent.
        var survivor = Agent("agent-ok", client.Address);
        await survivor.WaitForLineAsync("registered as", GridEvents.Timeout);
        var moved = await client.UntilAsync(job.Id, e => e.StateChanged?.State == JobState.Running && e.Sequence > beforeCut[^1].Sequence, beforeCut[^1].Sequence);
        fleet = await client.Fleet.ListAgentsAsync(new ListAgentsRequest());
        Assert.Contains(fleet.Agents.Single(a => a.Name == "agent-ok").Id, moved[^1].StateChanged.Reason, StringComparison.Ordinal);

        var resuming = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.True(File.Exists(resuming.ResumedFrom), $"the checkpoint to resume from, {resuming.ResumedFrom}, must survive its stale writer");
        proxy.Heal();
        await cutOff.WaitForLineAsync($"Job {job.Id} process exited", GridEvents.Timeout);
        Assert.False(JobProcesses.IsAlive(stale));

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}\ncut-off agent:\n{cutOff.Output()}\nsurvivor:\n{survivor.Output()}");
        Assert.Equal(2, finished.Attempt);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var afterMove = events.Where(e => e.Sequence > moved[^1].Sequence && e.KindCase == JobEvent.KindOneofCase.Checkpoint).ToList();
        Assert.NotEmpty(afterMove);
        Assert.All(afterMove, e => Assert.StartsWith(survivor.WorkDirectory, e.Checkpoint.Uri, StringComparison.Ordinal));
        Assert.StartsWith(survivor.WorkDirectory, finished.Result!.CheckpointUri, StringComparison.Ordinal);
    }

    private async Task<(GridTrainClient Client, ControllerServer Server)> StartControllerAsync(GridOptions? options = null, TimeProvider? time = null)
    {
        var server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), options ?? s_fastFailover, time is null ? null : services => services.AddSingleton(time));
        await server.StartAsync(CancellationToken.None);
        var client = new GridTrainClient(server.Address);
        _cleanup.Add(server);
        _cleanup.Add(new DisposableClient(client));
        return (client, server);
    }

    private AgentProcess Agent(string name, Uri controller)
    {
        var agent = AgentProcess.Start(controller, name, Path.Combine(_root, name));
        _cleanup.Add(agent);
        return agent;
    }

    private sealed class DisposableClient(GridTrainClient client) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
