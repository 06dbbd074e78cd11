using GridTrain.Controller.Storage;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests.Coordination;

public sealed class GridTransactionRunnerTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));
    private readonly PausableStore _store = new();
    private readonly AgentDirectiveBus _bus = new();
    private readonly ChangeNotifier _notifier = new();
    private readonly List<(string[] Agents, bool Saved)> _ended = [];
    private int _passes;

    [Fact]
    public async Task RunAsync_Commit_SavesBeforeItSendsDirectivesAndWakesWatchers()
    {
        var runner = Runner();
        var directives = _bus.Open("agt-1", []);
        var woken = _notifier.NextChange("agent/agt-1");
        _store.Pause();

        var operation = runner.RunAsync(tx =>
        {
            tx.Put(NewAgent("agt-1")); // wakes the agent's watchers on commit
            tx.Send("agt-1", new CancelJob("job-1", "user"));
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        await _store.Saving.WaitAsync(s_timeout);

        Assert.False(directives.TryPeek(out _));
        Assert.False(woken.IsCompleted);
        Assert.Null(await _store.GetAgentAsync("agt-1", CancellationToken.None));

        _store.Resume();
        await operation.WaitAsync(s_timeout);

        Assert.NotNull(await _store.GetAgentAsync("agt-1", CancellationToken.None));
        Assert.True(directives.TryRead(out var sent));
        Assert.Equal(new CancelJob("job-1", "user"), sent);
        await woken.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task RunAsync_OperationThrows_NothingSavedOrSent()
    {
        var runner = Runner();
        var directives = _bus.Open("agt-1", []);

        await Assert.ThrowsAsync<GridException>(() => runner.RunAsync(tx =>
        {
            tx.Put(NewAgent("agt-1"));
            tx.Send("agt-1", new CancelJob("job-1", "user"));
            throw GridException.NotFound("job", "job-1");
        }, CancellationToken.None));

        Assert.Null(await _store.GetAgentAsync("agt-1", CancellationToken.None));
        Assert.False(directives.TryRead(out _));
        Assert.Equal(0, _passes);
    }

    [Fact]
    public async Task RunAsync_WritesQueuedBehindEachOther_OnePassForTheBatch()
    {
        var runner = Runner();
        var ((first, entered), release) = HoldTheGate(runner);
        await entered.WaitAsync(s_timeout);

        var queued = Enumerable.Range(1, 3).Select(i => runner.RunAsync(tx =>
        {
            tx.Put(NewAgent($"agt-{i}"));
            return ValueTask.CompletedTask;
        }, CancellationToken.None)).ToList();
        release.SetResult();
        await Task.WhenAll([first, .. queued]).WaitAsync(s_timeout);

        Assert.Equal(1, _passes);
        Assert.Equal(4, (await _store.ListAgentsAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task RunAsync_OperationsQueuedBehindOne_JoinItsBatch_OneCommit_EachSeesTheWritesBeforeIt()
    {
        var runner = Runner();
        var (first, release) = HoldTheGate(runner);
        await first.Entered.WaitAsync(s_timeout);

        var queued = Enumerable.Range(1, 3).Select(i => runner.RunAsync(async tx =>
        {
            var before = await tx.FindAgentAsync($"agt-{i - 1}");
            tx.Put(NewAgent($"agt-{i}"));
            return before?.Id ?? "none";
        }, CancellationToken.None)).ToList();
        release.SetResult();
        await first.Operation.WaitAsync(s_timeout);

        Assert.Equal(["agt-0", "agt-1", "agt-2"], await Task.WhenAll(queued).WaitAsync(s_timeout));
        Assert.Equal(1, _store.Saves);
        Assert.Equal(4, (await _store.ListAgentsAsync(CancellationToken.None)).Count);
        var (agents, saved) = Assert.Single(_ended);
        Assert.Equal(["agt-0", "agt-1", "agt-2", "agt-3"], agents);
        Assert.True(saved);
    }

    [Fact]
    public async Task RunAsync_OneOperationOfABatchFails_OnlyItsWritesAndDirectivesAreDropped()
    {
        var runner = Runner();
        var directives = _bus.Open("agt-1", []);
        var (first, release) = HoldTheGate(runner);
        await first.Entered.WaitAsync(s_timeout);

        var failing = runner.RunAsync(tx =>
        {
            tx.Put(NewAgent("agt-bad"));
            tx.Send("agt-1", new CancelJob("job-bad", "user"));
            throw GridException.NotFound("job", "job-bad");
        }, CancellationToken.None);
        var succeeding = runner.RunAsync(tx =>
        {
            tx.Put(NewAgent("agt-1"));
            tx.Send("agt-1", new CancelJob("job-1", "user"));
            return ValueTask.CompletedTask;
        }, CancellationToken.None);
        release.SetResult();

        await Assert.ThrowsAsync<GridException>(() => failing.WaitAsync(s_timeout));
        await succeeding.WaitAsync(s_timeout);
        Assert.Null(await _store.GetAgentAsync("agt-bad", CancellationToken.None));
        Assert.NotNull(await _store.GetAgentAsync("agt-1", CancellationToken.None));
        Assert.True(directives.TryRead(out var sent));
        Assert.Equal(new CancelJob("job-1", "user"), sent);
        Assert.False(directives.TryRead(out _));
    }

    [Fact]
    public async Task RunAsync_TheBatchCannotBeSaved_EveryOperationInItFails_NothingAnnounced()
    {
        var runner = Runner();
        var directives = _bus.Open("agt-1", []);
        var (first, release) = HoldTheGate(runner);
        await first.Entered.WaitAsync(s_timeout);
        var queued = Enumerable.Range(1, 2).Select(i => runner.RunAsync(tx =>
        {
            tx.Put(NewAgent($"agt-{i}"));
            tx.Send("agt-1", new CancelJob($"job-{i}", "user"));
            return ValueTask.CompletedTask;
        }, CancellationToken.None)).ToList();
        _store.FailSaves = new IOException("disk full");
        release.SetResult();

        await Assert.ThrowsAsync<IOException>(() => first.Operation.WaitAsync(s_timeout));
        foreach (var operation in queued)
        {
            Assert.Equal("disk full", (await Assert.ThrowsAsync<IOException>(() => operation.WaitAsync(s_timeout))).Message);
        }

        Assert.Empty(await _store.ListAgentsAsync(CancellationToken.None));
        Assert.False(directives.TryRead(out _));
        Assert.False(Assert.Single(_ended).Saved);
    }

    [Fact]
    public async Task RunAsync_NothingWritten_NoPass()
    {
        var runner = Runner();

        await runner.RunAsync(_ => ValueTask.CompletedTask, CancellationToken.None);

        Assert.Equal(0, _passes);
    }

    [Fact]
    public async Task ReadAsync_WaitsForTheRunningOperation()
    {
        var runner = Runner();
        var ((write, entered), release) = HoldTheGate(runner);
        await entered.WaitAsync(s_timeout);

        var read = runner.ReadAsync(async tx => await tx.FindAgentAsync("agt-0"), CancellationToken.None);
        Assert.False(read.IsCompleted);

        release.SetResult();
        Assert.NotNull(await read.WaitAsync(s_timeout));
        await write;
    }

    [Fact]
    public async Task PostAsync_GateFree_RunsNow_AndEndsWithItsCommit()
    {
        var runner = Runner();

        await runner.PostAsync(PutAgent("agt-1"), FailOnError).WaitAsync(s_timeout);

        Assert.NotNull(await _store.GetAgentAsync("agt-1", CancellationToken.None));
    }

    [Fact]
    public async Task PostAsync_GateHeld_AnswersAtOnce_TheHolderCommitsItBeforeLettingGo()
    {
        var runner = Runner();
        var (first, release) = HoldTheGate(runner);
        await first.Entered.WaitAsync(s_timeout);

        var posted = runner.PostAsync(PutAgent("agt-1"), FailOnError);

        Assert.True(posted.IsCompleted);
        Assert.Null(await _store.GetAgentAsync("agt-1", CancellationToken.None));
        release.SetResult();
        await first.Operation.WaitAsync(s_timeout);
        Assert.NotNull(await _store.GetAgentAsync("agt-1", CancellationToken.None));
    }

    [Fact]
    public async Task PostAsync_PostedBehindAReadUnderTheGate_TheReaderCommitsIt()
    {
        var runner = Runner();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var read = runner.ReadAsync(async tx =>
        {
            entered.SetResult();
            await release.Task;
            return true;
        }, CancellationToken.None);
        await entered.Task.WaitAsync(s_timeout);

        await runner.PostAsync(PutAgent("agt-1"), FailOnError).WaitAsync(s_timeout);
        release.SetResult();
        await read.WaitAsync(s_timeout);

        Assert.NotNull(await _store.GetAgentAsync("agt-1", CancellationToken.None));
    }

    [Fact]
    public async Task PostAsync_ItFails_TheFailureGoesToItsHandler_NotToTheBatch()
    {
        var runner = Runner();
        var (first, release) = HoldTheGate(runner);
        await first.Entered.WaitAsync(s_timeout);
        var failures = new List<Exception>();

        await runner.PostAsync(tx =>
        {
            tx.Put(NewAgent("agt-bad"));
            throw GridException.NotFound("agent", "agt-gone");
        }, failures.Add).WaitAsync(s_timeout);
        release.SetResult();
        await first.Operation.WaitAsync(s_timeout);

        Assert.IsType<GridException>(Assert.Single(failures));
        Assert.Null(await _store.GetAgentAsync("agt-bad", CancellationToken.None));
        Assert.NotNull(await _store.GetAgentAsync("agt-0", CancellationToken.None));
    }

    /// <summary>Starts an operation that writes agt-0 and holds the gate until <c>release</c> is set, so what comes next queues.</summary>
    private ((Task Operation, Task Entered) First, TaskCompletionSource Release) HoldTheGate(GridTransactionRunner runner)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var operation = runner.RunAsync(async tx =>
        {
            tx.Put(NewAgent("agt-0"));
            entered.SetResult();
            await release.Task;
        }, CancellationToken.None);
        return ((operation, entered.Task), release);
    }

    private GridTransactionRunner Runner() => new(
        _store,
        _time,
        _bus,
        _notifier,
        new GridInstruments(),
        _ =>
        {
            _passes++;
            return ValueTask.CompletedTask;
        },
        (changes, saved) => _ended.Add(([.. changes.Agents.Select(a => a.Id).Order()], saved)));

    private static void FailOnError(Exception exception) => Assert.Fail($"posted operation failed: {exception}");

    private Func<GridTransaction, ValueTask> PutAgent(string id) => tx =>
    {
        tx.Put(NewAgent(id));
        return ValueTask.CompletedTask;
    };

    private Agents.Agent NewAgent(string id) => new()
    {
        Id = id,
        Name = id,
        Inventory = new Agents.Inventory(1, 1L << 30, [], 1),
        RegisteredAt = _time.GetUtcNow(),
        LastHeartbeatAt = _time.GetUtcNow(),
    };

    /// <summary>An in-memory store whose saves can be held, to look at the moment between deciding and saving.</summary>
    private sealed class PausableStore : ForwardingGridStore
    {
        private TaskCompletionSource? _paused;

        public SemaphoreSlim Saving { get; } = new(0);

        public int Saves { get; private set; }

        /// <summary>When set, every save fails with it.</summary>
        public Exception? FailSaves { get; set; }

        public void Pause() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Resume() => _paused?.SetResult();

        public override async ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken)
        {
            Saving.Release();
            if (_paused is { } paused)
            {
                await paused.Task;
            }

            if (FailSaves is { } failure)
            {
                throw failure;
            }

            Saves++;

            await base.SaveAsync(changes, cancellationToken);
        }
    }
}
