using System.Collections.Concurrent;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// Runs operations one at a time, each in a <see cref="GridTransaction"/>. Operations that queue up while one runs are
/// run together as a batch by whichever caller next holds the gate: each in its own nested transaction (it sees what
/// the batch wrote before it; its writes are dropped if it fails), then the scheduling pass if one is due
/// (<see cref="SchedulingPasses"/>), then one atomic save of the whole batch — one commit, one fsync, for many
/// operations — and only then are metrics recorded, directives sent, watchers woken and callers answered, so nothing is
/// announced that a restart could lose. A failed save fails every operation of the batch.
/// </summary>
internal sealed class GridTransactionRunner(
    IGridStore store,
    TimeProvider time,
    AgentDirectiveBus directives,
    ChangeNotifier notifier,
    GridInstruments instruments,
    Func<GridTransaction, ValueTask> schedulingPass)
{
    /// <summary>Operations saved together at most; more wait for the next batch.</summary>
    public const int MaxBatch = 128;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SchedulingPasses _passes = new();
    private readonly ConcurrentQueue<IQueuedOperation> _queue = new();

    /// <summary>Runs a writing operation and commits it (with whatever else is queued).</summary>
    public async Task<T> RunAsync<T>(Func<GridTransaction, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        var queued = new QueuedOperation<T>(operation, cancellationToken);
        _passes.StartWaiting();
        _queue.Enqueue(queued);
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Still queued: the batch that reaches it skips it.
            queued.Abandon();
            throw;
        }

        try
        {
            // Usually an earlier holder's batch has run it already, or this batch will.
            while (!queued.IsDone)
            {
                await RunBatchAsync();
            }
        }
        finally
        {
            _gate.Release();
        }

        return await queued.Result;
    }

    /// <summary>Runs a writing operation without a result and commits it.</summary>
    public Task RunAsync(Func<GridTransaction, ValueTask> operation, CancellationToken cancellationToken) =>
        RunAsync<bool>(async tx =>
        {
            await operation(tx);
            return true;
        }, cancellationToken);

    /// <summary>Runs a read under the gate, so it never sees half of an operation; nothing it writes is kept.</summary>
    public async Task<T> ReadAsync<T>(Func<GridTransaction, ValueTask<T>> read, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await read(View(cancellationToken));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A transaction outside the gate, for reads that must not queue (heartbeats, metrics); never committed.</summary>
    public GridTransaction View(CancellationToken cancellationToken) => new(store, time.GetUtcNow(), cancellationToken);

    /// <summary>Runs what is queued (up to <see cref="MaxBatch"/>) as one batch; called with the gate held.</summary>
    private async Task RunBatchAsync()
    {
        // The batch serves many callers and belongs to none: each operation reads under its own token (Nest), and a
        // caller that gives up is dropped from the batch, not the batch with it.
        var batch = View(CancellationToken.None);
        var ran = new List<IQueuedOperation>();
        while (ran.Count < MaxBatch && _queue.TryDequeue(out var next))
        {
            _passes.StopWaiting();
            if (await next.RunAsync(batch))
            {
                ran.Add(next);
            }
        }

        try
        {
            if (_passes.RunNow(batch.NeedsScheduling))
            {
                await schedulingPass(batch);
            }

            await CommitAsync(batch);
        }
        catch (Exception ex)
        {
            foreach (var operation in ran)
            {
                operation.Fail(ex);
            }

            return;
        }

        foreach (var operation in ran)
        {
            operation.Answer();
        }
    }

    private async ValueTask CommitAsync(GridTransaction tx)
    {
        if (!tx.Changes.IsEmpty)
        {
            // Once the operation has decided, its save is not abandoned half-way because its caller went away.
            await store.SaveAsync(tx.Changes, CancellationToken.None);
        }

        foreach (var record in tx.Measurements)
        {
            record(instruments);
        }

        foreach (var (agentId, directive) in tx.Directives)
        {
            directives.Send(agentId, directive);
        }

        foreach (var key in tx.Notifications)
        {
            notifier.Notify(key);
        }
    }

    private interface IQueuedOperation
    {
        /// <summary>Runs the operation in a transaction nested in <paramref name="batch"/>; true when it succeeded and its writes joined the batch.</summary>
        ValueTask<bool> RunAsync(GridTransaction batch);

        /// <summary>The batch was saved: the caller gets its result.</summary>
        void Answer();

        /// <summary>The batch could not be saved: the caller gets why.</summary>
        void Fail(Exception exception);
    }

    private sealed class QueuedOperation<T>(Func<GridTransaction, ValueTask<T>> operation, CancellationToken cancellationToken) : IQueuedOperation
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _value;
        private bool _ran;

        public Task<T> Result => _result.Task;

        /// <summary>Answered, failed, abandoned, or run in a batch that is saving now.</summary>
        public bool IsDone => _ran || _result.Task.IsCompleted;

        public void Abandon() => _result.TrySetCanceled(cancellationToken);

        public async ValueTask<bool> RunAsync(GridTransaction batch)
        {
            if (_result.Task.IsCompleted)
            {
                return false;
            }

            _ran = true;
            if (cancellationToken.IsCancellationRequested)
            {
                _result.TrySetCanceled(cancellationToken);
                return false;
            }

            var tx = batch.Nest(cancellationToken);
            try
            {
                _value = await operation(tx);
            }
            catch (Exception ex)
            {
                _result.TrySetException(ex);
                return false;
            }

            batch.Absorb(tx);
            return true;
        }

        public void Answer() => _result.TrySetResult(_value!);

        public void Fail(Exception exception) => _result.TrySetException(exception);
    }
}
