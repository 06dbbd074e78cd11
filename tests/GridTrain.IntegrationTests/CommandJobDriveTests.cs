using System.Net;
using System.Text;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using GridTrain.Testing.FakeDrive;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests;

/// <summary>Command jobs with agents that keep checkpoints and data on (a fake of) Google Drive: real processes on loopback.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class CommandJobDriveTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int CountTo = 40;

    /// <summary>Counts to 40, one step per 0.1 s, committing its step as a checkpoint every 5 steps; resumes from it.</summary>
    private static readonly string CountingProgram = $$"""
        step=0
        if [ -n "$GRIDTRAIN_RESUME_FROM" ]; then step=$(cat "$GRIDTRAIN_RESUME_FROM"); echo "resumed at step $step"; fi
        while [ "$step" -lt {{CountTo}} ]; do
          sleep 0.1
          step=$((step + 1))
          echo "{\"step\": $step, \"total_steps\": {{CountTo}}}" >> "$GRIDTRAIN_EVENTS"
          if [ $((step % 5)) -eq 0 ]; then
            echo "$step" > "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$step.tmp"
            mv "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$step.tmp" "$GRIDTRAIN_CHECKPOINT_DIR/ckpt-$step"
          fi
        done
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-command-drive-").FullName;
    private readonly List<AgentProcess> _agents = [];
    private FakeDriveServer _drive = null!;
    private ControllerServer? _server;
    private GridTrainClient? _client;
    private string _rootFolder = "";
    private string _credentials = "";

    public async Task InitializeAsync()
    {
        _drive = await FakeDriveServer.StartAsync();
        _rootFolder = _drive.CreateFolder("gridtrain-checkpoints");
        _credentials = Path.Combine(_root, "drive-credentials.json");
        await File.WriteAllTextAsync(_credentials, _drive.ServiceAccountJson());
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(3), MaxJobAttempts = 3 });
        await _server.StartAsync(CancellationToken.None);
        _client = new GridTrainClient(_server.Address);
    }

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

        await _drive.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task AgentKilled_CommandJobResumesOnAnotherAgentFromItsDriveCheckpoint()
    {
        var client = _client!;
        var first = Agent("agent-a");
        await first.WaitForLineAsync("registered as", GridEvents.Timeout);
        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(Command("sh", "-c", CountingProgram)));
        var beforeKill = await client.UntilAsync(job.Id, e => e.Checkpoint?.Uri.StartsWith("gdrive:", StringComparison.Ordinal) == true);

        await first.KillAsync();
        var second = Agent("agent-b");

        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}\nagent-b:\n{second.Output()}");
        Assert.Equal(2, finished.Attempt);
        Assert.Equal(CountTo, finished.Result!.Steps);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        var moved = events.FindIndex(e => e.StateChanged?.State == JobState.Queued && e.Sequence > beforeKill[^1].Sequence);
        var lastCheckpoint = events.Take(moved).Last(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint).Checkpoint;
        Assert.StartsWith("gdrive:", lastCheckpoint.Uri, StringComparison.Ordinal);
        Assert.Equal(lastCheckpoint.Uri, finished.ResumedFrom);
        Assert.Contains(events.Skip(moved), e => e.Log?.Text == $"resumed at step {lastCheckpoint.Step}");
        Assert.All(events.Where(e => e.KindCase == JobEvent.KindOneofCase.Checkpoint), e => Assert.StartsWith("gdrive:", e.Checkpoint.Uri, StringComparison.Ordinal));
        Assert.StartsWith("gdrive:", finished.Result.CheckpointUri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DriveFolder_DownloadedBeforeTheJob_FoundAtGridtrainDataDir()
    {
        var client = _client!;
        var folder = _drive.CreateFolder("my-data");
        _drive.AddFile(folder, "hello.txt", Encoding.UTF8.GetBytes("hello from drive\n"));
        var agent = Agent("agent-d");
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);
        var spec = Command("sh", "-c", "cat \"$GRIDTRAIN_DATA_DIR/hello.txt\"");
        spec.Command.DriveFolderId = folder;

        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(spec));
        var finished = await client.FinishedAsync(job.Id);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);

        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Contains(events, e => e.Log is { Stream: "stdout", Text: "hello from drive" });
    }

    private static JobSpec Command(params string[] argv) => new() { Command = new CommandSpec { Argv = { argv } } };

    private AgentProcess Agent(string name)
    {
        var agent = AgentProcess.Start(_client!.Address, name, Path.Combine(_root, name), extraArguments:
        [
            "--checkpoint-store", "gdrive", "--drive-root-folder", _rootFolder, "--drive-credentials", _credentials,
            "--drive-endpoint", _drive.Endpoint.ToString(),
        ]);
        _agents.Add(agent);
        return agent;
    }
}
