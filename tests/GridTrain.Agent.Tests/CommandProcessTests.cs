using GridTrain.Agent.Jobs.Commands;
using GridTrain.Agent.UserCode;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Agent.Tests;

/// <summary>A command job's process as the agent sees it: real processes, reads of its files driven by a fake clock.</summary>
public sealed class CommandProcessTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30); // fails a hang; never waited out otherwise

    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-command-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Watcher_TmpFileThenRename_TakesOnlyTheRenamedFile_WithItsStepAndAManifest()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "checkpoints")).FullName;
        File.WriteAllText(Path.Combine(directory, "resumed-00000040.pt"), "restored before the start");
        var watcher = new CheckpointDirectoryWatcher(directory, Path.Combine(_root, "committed"));

        File.WriteAllText(Path.Combine(directory, "ckpt-00000120.pt.tmp"), "being written");
        Assert.Empty(watcher.Scan(lastStep: 100));

        File.Move(Path.Combine(directory, "ckpt-00000120.pt.tmp"), Path.Combine(directory, "ckpt-00000120.pt"));
        var found = Assert.Single(watcher.Scan(lastStep: 100));
        var taken = Path.Combine(_root, "committed", "000001", "ckpt-00000120.pt");
        Assert.Equal(new CheckpointWritten(120, taken), found);
        Assert.Equal("being written", File.ReadAllText(taken));
        Assert.Contains("\"sha256\"", File.ReadAllText(Path.ChangeExtension(taken, ".json")), StringComparison.Ordinal);
        Assert.Empty(watcher.Scan(lastStep: 100));
        Assert.True(File.Exists(Path.Combine(directory, "resumed-00000040.pt")), "the file resumed from stays where it was restored");
    }

    [Fact]
    public void Watcher_SameNameCommittedTwice_TakenTwice_StepFromTheEventsLine()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "checkpoints")).FullName;
        var watcher = new CheckpointDirectoryWatcher(directory, Path.Combine(_root, "committed"));
        File.WriteAllText(Path.Combine(directory, "latest.pt"), "first");
        var first = Assert.Single(watcher.Scan(lastStep: 300));
        File.WriteAllText(Path.Combine(directory, "latest.pt"), "second");
        var second = Assert.Single(watcher.Scan(lastStep: 400));

        Assert.Equal((300, "first"), (first.Step, File.ReadAllText(first.Uri)));
        Assert.Equal((400, "second"), (second.Step, File.ReadAllText(second.Uri)));
    }

    [Fact]
    public void EventsTail_PartialLine_WaitsForItsNewline()
    {
        var path = Path.Combine(_root, "events.jsonl");
        var tail = new EventsFileTail(path);
        File.WriteAllText(path, "{\"step\": 5, \"loss\": 1.5}\n{\"step\": 1");

        Assert.Equal([new ProgressReported(5, 0, 0, 1.5, 0, 0)], tail.Read());
        File.AppendAllText(path, "0, \"loss\": 1.2}\nnot json\n");
        var next = tail.Read();

        Assert.Equal(new ProgressReported(10, 0, 0, 1.2, 0, 0), next[0]);
        Assert.StartsWith("GRIDTRAIN_EVENTS line 3 ignored: not JSON", Assert.IsType<LogWritten>(next[1]).Text, StringComparison.Ordinal);
        Assert.Equal(10, tail.LastStep);
    }

    [Fact]
    public void TensorBoardTail_ShipsOnlyTheBytesAddedSinceTheLastRead()
    {
        var directory = Directory.CreateDirectory(Path.Combine(_root, "tensorboard")).FullName;
        var file = Path.Combine(directory, "events.out.tfevents.1.host");
        var tail = new TensorBoardTail(directory);
        File.WriteAllBytes(file, [1, 2, 3]);
        File.WriteAllText(Path.Combine(directory, "notes.txt"), "not an event file");

        var first = Assert.IsType<TensorBoardWritten>(Assert.Single(tail.Read()));
        File.AppendAllText(file, "\u0004");
        var second = Assert.IsType<TensorBoardWritten>(Assert.Single(tail.Read()));

        Assert.Equal(("events.out.tfevents.1.host", 0L), (first.File, first.Offset));
        Assert.Equal([1, 2, 3], first.Data);
        Assert.Equal(3L, second.Offset);
        Assert.Equal([4], second.Data);
        Assert.Empty(tail.Read());
    }

    [Fact]
    public async Task Process_ExitsNonZero_FailsWithTheCodeAndItsStandardError()
    {
        using var process = Start("echo out; echo 'Traceback: boom' >&2; exit 3", new FakeTimeProvider());

        var exit = await process.Exited.WaitAsync(Bound);
        var events = await ReadAllAsync(process);

        Assert.Equal(3, exit.ExitCode);
        Assert.Contains(new LogWritten("stdout", "out"), events);
        Assert.Contains(new LogWritten("stderr", "Traceback: boom"), events);
        var result = exit.ToResult();
        Assert.Equal(JobState.Failed, result.State);
        Assert.Equal("command exited with code 3: Traceback: boom", result.Reason);
        Assert.False(result.Retryable);
    }

    [Fact]
    public async Task Process_CommitsACheckpoint_ReportedOnTheNextPollThenSucceeds()
    {
        var time = new FakeTimeProvider();
        var release = Path.Combine(_root, "release");
        using var process = Start(
            $$"""
            echo '{"step": 7, "total_steps": 9, "loss": 0.5}' >> "$GRIDTRAIN_EVENTS"
            echo '{"epoch": 1, "test_accuracy": 0.75}' >> "$GRIDTRAIN_EVENTS"
            echo state > "$GRIDTRAIN_CHECKPOINT_DIR/latest.tmp"
            mv "$GRIDTRAIN_CHECKPOINT_DIR/latest.tmp" "$GRIDTRAIN_CHECKPOINT_DIR/latest"
            echo ready
            while [ ! -e '{{release}}' ]; do sleep 0.01; done
            """,
            time);

        var seen = new List<TrainingEvent>();
        await ReadUntilAsync(process, seen, e => e == new LogWritten("stdout", "ready"));
        time.Advance(CommandProcess.PollInterval);
        await ReadUntilAsync(process, seen, e => e is CheckpointWritten);
        File.WriteAllText(release, "");
        var exit = await process.Exited.WaitAsync(Bound);

        Assert.Equal(new CheckpointWritten(7, Path.Combine(_root, "committed", "000001", "latest")), seen[^1]);
        Assert.Contains(new ProgressReported(7, 9, 0, 0.5, 0, 0), seen);
        var result = exit.ToResult();
        Assert.Equal(JobState.Succeeded, result.State);
        Assert.Equal(7, result.Steps);
        Assert.Equal(0.75, result.TestAccuracy);
        Assert.Equal(Path.Combine(_root, "committed", "000001", "latest"), result.CheckpointUri);
    }

    [Fact]
    public async Task Process_StopIgnored_WholeGroupKilledAfterTheGrace()
    {
        using var process = Start("trap '' TERM; sh -c 'trap \"\" TERM; echo child $$; while :; do sleep 1; done' & echo ready; wait", TimeProvider.System);
        var seen = new List<TrainingEvent>();
        // The background child and the shell's own echo race: under load the child's line can come first.
        static bool IsChild(TrainingEvent e) => e is LogWritten { Text: var t } && t.StartsWith("child ", StringComparison.Ordinal);
        await ReadUntilAsync(process, seen, _ => seen.Contains(new LogWritten("stdout", "ready")) && seen.Any(IsChild));
        var child = int.Parse(((LogWritten)seen.First(IsChild)).Text["child ".Length..], System.Globalization.CultureInfo.InvariantCulture);

        await process.StopAsync("cancelled by user", TimeSpan.FromMilliseconds(200)).WaitAsync(Bound);
        var exit = await process.Exited.WaitAsync(Bound);

        Assert.Equal(JobState.Cancelled, exit.ToResult().State);
        Assert.False(Directory.Exists($"/proc/{child}") && !File.ReadAllText($"/proc/{child}/stat").Contains(") Z ", StringComparison.Ordinal), "the child that ignored SIGTERM is gone");
    }

    [Fact]
    public async Task ProgramThatEndsAtOnce_ItsExitCodeEveryTime()
    {
        // The supervisor once lost the code of a program that ended before its first wait (1 run in 40 under setsid).
        var codes = new List<int>();
        for (var i = 0; i < 60; i++)
        {
            using var process = Start("exit 3", TimeProvider.System);
            codes.Add((await process.Exited.WaitAsync(Bound)).ExitCode);
        }

        Assert.All(codes, code => Assert.Equal(3, code));
    }

    private CommandProcess Start(string script, TimeProvider time)
    {
        var directories = CommandDirectories.In(_root);
        Directory.CreateDirectory(directories.CheckpointDirectory);
        var start = new UserProcessStart
        {
            Argv = AgentDeathWatch.Wrap(["sh", "-c", script]),
            WorkingDirectory = _root,
            Environment = new Dictionary<string, string>
            {
                ["GRIDTRAIN_EVENTS"] = directories.EventsFile,
                ["GRIDTRAIN_CHECKPOINT_DIR"] = directories.CheckpointDirectory,
            },
        };
        return CommandProcess.Start(start, new CommandOutputs(directories), time);
    }

    private static async Task ReadUntilAsync(CommandProcess process, List<TrainingEvent> seen, Func<TrainingEvent, bool> match)
    {
        using var bound = new CancellationTokenSource(Bound);
        while (await process.Events.WaitToReadAsync(bound.Token))
        {
            while (process.Events.TryRead(out var e))
            {
                seen.Add(e);
                if (match(e))
                {
                    return;
                }
            }
        }

        throw new InvalidOperationException($"the process ended without the expected event; saw: {string.Join(" | ", seen)}");
    }

    private static async Task<List<TrainingEvent>> ReadAllAsync(CommandProcess process)
    {
        using var bound = new CancellationTokenSource(Bound);
        var events = new List<TrainingEvent>();
        await foreach (var e in process.Events.ReadAllAsync(bound.Token))
        {
            events.Add(e);
        }

        return events;
    }
}
