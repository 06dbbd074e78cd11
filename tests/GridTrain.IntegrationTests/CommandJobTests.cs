using System.IO.Compression;
using System.Net;
using Google.Protobuf;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests;

/// <summary>
/// A user's own program as a job, with real controller and agent processes on loopback: the PyTorch example survives
/// its agent's death, an eviction's SIGTERM checkpoints it, failures and cancels say what happened, secrets stay out.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class CommandJobTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-command-").FullName;
    private readonly List<AgentProcess> _agents = [];
    private ControllerServer? _server;
    private GridTrainClient? _client;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var agent in _agents)
        {
            output.WriteLine($"--- agent {agent.Name}:\n{agent.Output()}");
            await agent.DisposeAsync();
        }

        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task PyTorchExample_AgentKilled_ResumesOnTheOtherAgentFromItsCheckpoint()
    {
        var client = await StartAsync(new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(3), MaxJobAttempts = 3 });
        var agents = new[] { Agent("agent-a"), Agent("agent-b") };
        await Task.WhenAll(agents.Select(a => a.WaitForLineAsync("registered as", GridEvents.Timeout)));
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(PyTorchExample()));
        var beforeKill = await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        var victim = agents.Single(a => Directory.Exists(Path.Combine(a.WorkDirectory, "jobs", job.Id)));
        var orphans = UserProcesses(job.Id);
        Assert.NotEmpty(orphans);

        await victim.KillAsync();

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(2, finished.Attempt);
        Assert.Equal(200, finished.Result!.Steps);
        Assert.True(finished.Result.HasTestAccuracy && finished.Result.TestAccuracy > 0.3, $"accuracy {finished.Result.TestAccuracy}");
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var moved = events.FindIndex(e => e.StateChanged?.State == JobState.Queued && e.Sequence > beforeKill[^1].Sequence);
        var lastCheckpoint = events.Take(moved).Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.Equal(lastCheckpoint.Uri, finished.ResumedFrom);
        Assert.StartsWith(victim.WorkDirectory, finished.ResumedFrom, StringComparison.Ordinal);
        var survivor = agents.Single(a => a != victim);
        Assert.StartsWith(survivor.WorkDirectory, finished.Result.CheckpointUri, StringComparison.Ordinal);
        Assert.Contains(events.Skip(moved), e => e.Log?.Text.StartsWith($"resumed from {survivor.WorkDirectory}", StringComparison.Ordinal) == true && e.Log.Text.EndsWith($"at step {lastCheckpoint.Step}", StringComparison.Ordinal));
        var firstProgressAfterMove = events.Skip(moved).First(e => e.KindCase == JobEvent.KindOneofCase.Progress).Progress;
        Assert.True(firstProgressAfterMove.Step > lastCheckpoint.Step, "the new attempt continues after the checkpoint it resumed from");
        await Poll.UntilAsync(_ => Task.FromResult(orphans.All(p => !JobProcesses.IsAlive(p)) ? "" : null), GridEvents.Timeout, () => "the dead agent's job process should end with its agent");
    }

    [Fact]
    public async Task LifetimeEviction_SendsSigterm_FinalCheckpointCommitted_AndResumeFinishesTheJob()
    {
        var client = await StartAsync(new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(5), DefaultMaxLifetime = TimeSpan.FromSeconds(4), EvictionWarning = TimeSpan.FromSeconds(1) });
        await Agent("agent-a").WaitForLineAsync("registered as", GridEvents.Timeout);
        var session = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        var job = await client.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = session.Id, Spec = Command("sh", "-c", CountingProgram) });

        var events = await client.UntilAsync(job.Id, e => e.StateChanged is { State: JobState.Queued } && e.Sequence > 1);
        Assert.Contains("session evicted (lifetime", events[^1].StateChanged.Reason, StringComparison.Ordinal);
        var stopped = events.Last(e => e.Log?.Text.StartsWith("stopped at step ", StringComparison.Ordinal) == true).Log.Text;
        var checkpoint = events.Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.Equal($"stopped at step {checkpoint.Step}", stopped);
        var evicted = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.Equal(checkpoint.Uri, evicted.LatestCheckpoint);

        var seen = events[^1].Sequence;
        var sessionSeen = await WaitForSessionStateAsync(client, session.Id, SessionState.Evicted, 0);
        var afterResume = new List<JobEvent>();
        while (true)
        {
            await client.Sessions.ResumeSessionAsync(new ResumeSessionRequest { SessionId = session.Id });
            var next = await client.UntilAsync(job.Id, e => e.StateChanged is { State: JobState.Queued or JobState.Succeeded or JobState.Failed } && e.Sequence > seen, seen);
            afterResume.AddRange(next);
            seen = next[^1].Sequence;
            if (next[^1].StateChanged.State != JobState.Queued)
            {
                break;
            }

            sessionSeen = await WaitForSessionStateAsync(client, session.Id, SessionState.Evicted, sessionSeen);
        }

        Assert.Contains(afterResume, e => e.Log?.Text == $"resumed at step {checkpoint.Step}");
        var finished = await client.Jobs.GetJobAsync(new GetJobRequest { JobId = job.Id });
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(CountTo, finished.Result!.Steps);
    }

    [Fact]
    public async Task ExitsNonZero_FailedWithTheCodeAndTheEndOfItsStandardError()
    {
        var client = await StartAsync(new GridOptions());
        Agent("agent-a");
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(Command("sh", "-c", "echo working; echo 'ValueError: bad shape' >&2; exit 3")));

        var finished = await client.FinishedAsync(job.Id);

        Assert.Equal(JobState.Failed, finished.State);
        Assert.Equal("command exited with code 3: ValueError: bad shape", finished.Result.Reason);
        Assert.Equal(1, finished.Attempt);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        Assert.Contains(events, e => e.Log is { Stream: "stdout", Text: "working" });
    }

    [Fact]
    public async Task Cancelled_JobCancelled_AndItsWholeProcessGroupGone()
    {
        var client = await StartAsync(new GridOptions());
        var agent = Agent("agent-a");
        const string program = "sh -c 'trap \"\" TERM; while :; do sleep 1; done' & echo \"child $!\"; while :; do sleep 1; done";
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(Command("sh", "-c", program)));
        var started = await client.UntilAsync(job.Id, e => e.Log?.Text.StartsWith("child ", StringComparison.Ordinal) == true);
        var child = int.Parse(started[^1].Log.Text["child ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(JobProcesses.IsAlive(child));

        await client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
        var finished = await client.FinishedAsync(job.Id);

        Assert.Equal(JobState.Cancelled, finished.State);
        // The controller records the cancel at once; the agent kills the group once the stop grace has passed.
        await agent.WaitForLineAsync($"Job {job.Id} process exited", GridEvents.Timeout);
        await Poll.UntilAsync(_ => Task.FromResult(JobProcesses.IsAlive(child) ? null : ""), GridEvents.Timeout, () => $"the child {child} that ignored SIGTERM should be killed with its group");
    }

    [Fact]
    public async Task Environment_HasNoneOfTheAgentsSecrets()
    {
        var client = await StartAsync(new GridOptions());
        const string canary = "canary-secret-4f1c";
        var agent = AgentProcess.Start(client.Address, "agent-a", Path.Combine(_root, "agent-a"), environment: new Dictionary<string, string?>
        {
            ["GRIDTRAIN_CONTROLLER_SECRET"] = canary,
            ["GOOGLE_APPLICATION_CREDENTIALS"] = "/run/secrets/" + canary,
        });
        _agents.Add(agent);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(Command("sh", "-c", "env; echo ---; tr '\\0' '\\n' < /proc/self/environ")));

        var finished = await client.FinishedAsync(job.Id);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var lines = events.Where(e => e.Log?.Stream == "stdout").Select(e => e.Log.Text).ToList();

        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Contains("---", lines);
        Assert.Contains(lines, l => l.StartsWith("GRIDTRAIN_CHECKPOINT_DIR=", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains(canary, StringComparison.Ordinal) || l.Contains(TestCredentials.JoinToken, StringComparison.Ordinal) || l.Contains(TestCredentials.AdminToken, StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("GRIDTRAIN_JOIN_TOKEN=", StringComparison.Ordinal) || l.StartsWith("GOOGLE_APPLICATION_CREDENTIALS=", StringComparison.Ordinal));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task AgentRunningAsRoot_WithRunAs_RunsTheProgramAsThatUser_WhoseCheckpointIsCommitted()
    {
        Assert.True(Environment.UserName == "root", "dropping to another user needs an agent running as root, as CI runs the tests");
        File.SetUnixFileMode(_root, (UnixFileMode)0b111_101_101); // The program's user must reach the agent's work directory.
        var client = await StartAsync(new GridOptions());
        var agent = AgentProcess.Start(client.Address, "agent-a", Path.Combine(_root, "agent-a"), extraArguments: ["--run-as", "65534:65534"]);
        _agents.Add(agent);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(Command("sh", "-c", """
            id -u; id -g
            echo 7 > "$GRIDTRAIN_CHECKPOINT_DIR/step-7.tmp" && mv "$GRIDTRAIN_CHECKPOINT_DIR/step-7.tmp" "$GRIDTRAIN_CHECKPOINT_DIR/step-7"
            touch made-here && stat -c 'owner %u' made-here
            """)));

        var finished = await client.FinishedAsync(job.Id);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var stdout = events.Where(e => e.Log?.Stream == "stdout").Select(e => e.Log.Text).ToList();

        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(["65534", "65534", "owner 65534"], stdout);
        var checkpoint = events.Single(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.EndsWith("step-7", checkpoint.Uri, StringComparison.Ordinal);
    }

    private const int CountTo = 30;

    /// <summary>Counts to 30, one step per 0.2 s; on SIGTERM writes its step as a checkpoint (tmp, then rename) and exits 143.</summary>
    private static readonly string CountingProgram = $$"""
        step=0
        if [ -n "$GRIDTRAIN_RESUME_FROM" ]; then step=$(cat "$GRIDTRAIN_RESUME_FROM"); echo "resumed at step $step"; fi
        save() { echo "$step" > "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$step.tmp"; mv "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$step.tmp" "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$step"; }
        trap 'save; echo "stopped at step $step"; exit 143' TERM
        while [ "$step" -lt {{CountTo}} ]; do
          sleep 0.2 & wait $!
          step=$((step + 1))
          echo "{\"step\": $step, \"total_steps\": {{CountTo}}}" >> "$GRIDTRAIN_EVENTS"
        done
        save
        """;

    private static JobSpec Command(params string[] argv) => new() { Command = new CommandSpec { Argv = { argv } } };

    /// <summary>The PyTorch example on 3,200 Fashion-MNIST images: 200 steps, a checkpoint every 10.</summary>
    private static JobSpec PyTorchExample()
    {
        using var zip = new MemoryStream();
        ZipFile.CreateFromDirectory(Path.Combine(RepositoryRoot.Path, "examples", "pytorch-script"), zip);
        var spec = Command("/usr/bin/python3", "train.py", "--train-limit", "3200", "--test-limit", "500", "--batch-size", "32", "--epochs", "2", "--checkpoint-every", "10", "--log-every", "5");
        spec.Command.Files = ByteString.CopyFrom(zip.ToArray());
        return spec;
    }

    /// <summary>The processes of the job's program (they carry its id in their environment).</summary>
    private static List<int> UserProcesses(string jobId)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (int.TryParse(Path.GetFileName(directory), out var pid) && File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Contains($"GRIDTRAIN_JOB_ID={jobId}"))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Ended while we looked, or not ours.
            }
        }

        return found;
    }

    /// <summary>Waits for the session's next event in <paramref name="state"/> after <paramref name="afterSequence"/>; returns its sequence.</summary>
    private static async Task<long> WaitForSessionStateAsync(GridTrainClient client, string sessionId, SessionState state, long afterSequence)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        using var watch = client.Sessions.WatchSession(new WatchSessionRequest { SessionId = sessionId, AfterSequence = afterSequence }, cancellationToken: timeout.Token);
        while (await watch.ResponseStream.MoveNext(timeout.Token))
        {
            if (watch.ResponseStream.Current.State == state)
            {
                return watch.ResponseStream.Current.Sequence;
            }
        }

        throw new InvalidOperationException($"session {sessionId}'s stream ended before it was {state}");
    }

    private async Task<GridTrainClient> StartAsync(GridOptions options)
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), options);
        await _server.StartAsync(CancellationToken.None);
        _client = new GridTrainClient(_server.Address);
        return _client;
    }

    private AgentProcess Agent(string name)
    {
        var agent = AgentProcess.Start(_client!.Address, name, Path.Combine(_root, name));
        _agents.Add(agent);
        return agent;
    }
}
