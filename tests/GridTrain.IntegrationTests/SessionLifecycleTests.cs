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

/// <summary>Colab session semantics with a real agent process and real training: eviction frees resources, keeps work.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class SessionLifecycleTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-lifecycle-").FullName;
    private ControllerServer? _server;
    private GridTrainClient? _client;
    private AgentProcess? _agent;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            // Shown with a failed test: what the agent saw is usually what explains it.
            output.WriteLine(_agent.Output());
            await _agent.DisposeAsync();
        }

        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task IdleSession_IsEvicted_AndItsSlotGoesToTheQueuedSession()
    {
        var client = await StartAsync(new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(5), DefaultIdleTimeout = TimeSpan.FromSeconds(2), EvictionWarning = TimeSpan.FromSeconds(1) });
        var idle = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu(), DisplayName = "forgotten" });
        var queued = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu(), DisplayName = "waiting" });

        var idleEvents = await WatchUntilAsync(client, idle.Id, e => e.State == SessionState.Evicted);
        var placed = await WatchUntilAsync(client, queued.Id, e => e.State == SessionState.Ready);

        Assert.Contains(idleEvents, e => e.Kind == SessionEventKind.EvictionWarning && e.EvictionDeadline is not null);
        Assert.Contains("idle", idleEvents[^1].Reason, StringComparison.Ordinal);
        Assert.Equal(SessionState.Ready, placed[^1].State);
        var evicted = await client.Sessions.ListSessionsAsync(new ListSessionsRequest());
        Assert.Contains(evicted.Sessions, s => s.Id == idle.Id && s.State == SessionState.Evicted);
    }

    [Fact]
    public async Task LifetimeEviction_CheckpointsTheRunningJobFirst_AndResumeContinuesItToSuccess()
    {
        // The controller's clock is driven: the lifetime ends when the test says, after the job has checkpointed,
        // however fast the machine trains. The agent and its job process run in real time.
        var lifetime = TimeSpan.FromHours(1);
        var warning = TimeSpan.FromMinutes(5);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var client = await StartAsync(
            new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromDays(1), DefaultMaxLifetime = lifetime, EvictionWarning = warning },
            time: time);
        var grid = _server!.Services.GetRequiredService<GridCoordinator>();
        var session = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu() });
        var job = await client.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = session.Id, Spec = GridEvents.RecoveryJob() });
        var trained = await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);

        time.Advance(lifetime - warning);
        await grid.SweepAsync(CancellationToken.None);
        time.Advance(warning);
        await grid.SweepAsync(CancellationToken.None);

        var requeued = (await client.UntilAsync(job.Id, e => e.StateChanged is { State: JobState.Queued }, trained[^1].Sequence))[^1].StateChanged;
        Assert.Contains("session evicted (lifetime", requeued.Reason, StringComparison.Ordinal);
        var stopped = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Contains(stopped.LatestCheckpoint, requeued.Reason, StringComparison.Ordinal);
        Assert.True(File.Exists(stopped.LatestCheckpoint), "the eviction's checkpoint is on the agent's disk");
        Assert.Contains(await WatchUntilAsync(client, session.Id, e => e.State == SessionState.Evicted), e => e.State == SessionState.Evicted);

        await client.Sessions.ResumeSessionAsync(new ResumeSessionRequest { SessionId = session.Id });

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal((2, 900L), (finished.Attempt, finished.Result!.Steps));
        Assert.Equal(stopped.LatestCheckpoint, finished.ResumedFrom);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var requeuedAt = events.FindIndex(e => e.StateChanged is { State: JobState.Queued } changed && changed.Reason.Contains("evicted", StringComparison.Ordinal));
        var saved = events.Take(requeuedAt).Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.Equal(saved.Uri, finished.ResumedFrom);
        var firstResumed = events.Skip(requeuedAt).First(e => e.Progress is not null).Progress;
        Assert.True(firstResumed.Step > saved.Step, $"the resumed attempt continues after step {saved.Step}, not from zero (first progress: step {firstResumed.Step})");
    }

    [Fact]
    public async Task DrainedAgent_ItsJobCheckpointsAndFinishesElsewhere()
    {
        var client = await StartAsync(new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(5) });
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        var started = await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        await using var other = AgentProcess.Start(client.Address, "agent-b", Path.Combine(_root, "agent-b"));
        await other.WaitForLineAsync("registered as", GridEvents.Timeout);
        var drained = (await client.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents.Single(a => a.Name == "agent-a");

        var view = await client.Fleet.DrainAgentAsync(new DrainAgentRequest { AgentId = drained.Id, Deadline = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) });

        Assert.True(view.Cordoned);
        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(2, finished.Attempt);
        Assert.Equal(900, finished.Result!.Steps);
        Assert.StartsWith(Path.Combine(_root, "agent-a"), finished.ResumedFrom, StringComparison.Ordinal);
        Assert.StartsWith(Path.Combine(_root, "agent-b"), finished.Result.CheckpointUri, StringComparison.Ordinal);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence, started[^1].Sequence);
        Assert.Contains(events, e => e.StateChanged is { State: JobState.Queued } changed && changed.Reason.Contains("draining", StringComparison.Ordinal));
    }

    [Fact]
    public async Task HigherPriority_PreemptsTheSessionWithTheLeastWorkLost()
    {
        var client = await StartAsync(new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(5), Preemption = true }, cpuSlots: 2);
        var costly = await RunningAsync(client, checkpointEvery: 100_000);
        var cheap = await RunningAsync(client, checkpointEvery: 5);

        var urgent = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu(), Priority = 10, DisplayName = "urgent" });

        var placed = await WatchUntilAsync(client, urgent.Id, e => e.State == SessionState.Ready);
        Assert.Equal(SessionState.Ready, placed[^1].State);
        var costlyNow = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = costly.Id });
        var cheapNow = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = cheap.Id });
        Assert.True(cheapNow.State != JobState.Succeeded, $"the cheap victim should not have run to the end; costly {costlyNow.State} progress {costlyNow.Progress?.Step} ckpt {costlyNow.LatestCheckpoint}; cheap {cheapNow.State} progress {cheapNow.Progress?.Step} ckpt {cheapNow.LatestCheckpoint}");
        var preempted = await client.UntilAsync(cheap.Id, e => e.StateChanged?.State == JobState.Queued, 1);
        Assert.Contains($"preempted by {urgent.Id}", preempted[^1].StateChanged.Reason, StringComparison.Ordinal);
        var victim = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = cheap.Id });
        Assert.True(File.Exists(victim.LatestCheckpoint), "the victim checkpointed before it stopped");
        Assert.Equal(JobState.Running, (await client.Jobs.GetJobAsync(new GetJobRequest { JobId = costly.Id })).State);
    }

    /// <summary>A long job (one epoch of 200,000 single-example steps: it outlives the test) in a low-priority session of its own, running, with progress reported.</summary>
    private static async Task<Job> RunningAsync(GridTrainClient client, int checkpointEvery)
    {
        var session = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu() });
        var spec = TwoAgentGridFixture.LongJob();
        spec.Data.Synthetic.TrainExamples = 200_000;
        spec.Hyperparameters.BatchSize = 1;
        spec.Hyperparameters.Epochs = 1;
        spec.Checkpoint = new CheckpointPolicy { EverySteps = checkpointEvery, KeepLast = 2 };
        var job = await client.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = session.Id, Spec = spec });
        await client.UntilAsync(job.Id, e => e.Progress?.Step > 50);
        return job;
    }

    private async Task<GridTrainClient> StartAsync(GridOptions options, int cpuSlots = 1, TimeProvider? time = null)
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), options, time is null ? null : services => services.AddSingleton(time));
        await _server.StartAsync(CancellationToken.None);
        _client = new GridTrainClient(_server.Address);
        _agent = AgentProcess.Start(_server.Address, "agent-a", Path.Combine(_root, "agent-a"), cpuSlots);
        await _agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        return _client;
    }

    private static ResourceRequest Cpu() => new() { Runtime = Runtime.Cpu };

    private static async Task<List<SessionEvent>> WatchUntilAsync(GridTrainClient client, string sessionId, Func<SessionEvent, bool> match, long afterSequence = 0)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        using var call = client.Sessions.WatchSession(new WatchSessionRequest { SessionId = sessionId, AfterSequence = afterSequence }, cancellationToken: timeout.Token);
        var seen = new List<SessionEvent>();
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            seen.Add(call.ResponseStream.Current);
            if (match(call.ResponseStream.Current))
            {
                return seen;
            }
        }

        throw new InvalidOperationException($"session {sessionId}'s stream ended without the expected event");
    }
}
