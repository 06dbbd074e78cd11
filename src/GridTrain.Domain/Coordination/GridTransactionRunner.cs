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
    Func<GridTransaction, ValueTask> schedulingPass,
    Action<GridChanges, bool> batchEnded)
{
    /// <summary>Operations saved together at most; more wait for the next batch.</summary>
    public const int MaxBatch = 128;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SchedulingPasses _passes = new();
    private readonly ConcurrentQueue<IQueuedOperation> _queue = new();

    /// <summary>Posted operations queued and not yet run (<see cref="PostAsync"/>).</summary>
    private int _posted;

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

        // Usually an earlier holder's batch has run it already, or this batch will.
        await RunAndReleaseAsync(() => queued.IsDone);
        return await queued.Result;
    }

    /// <summary>
    /// Queues an operation no caller waits for: one that is safe to lose and repeat, as a heartbeat's confirmations are
    /// (the agent's next heartbeat repeats them). If the gate is free it runs now and the returned task ends with its
    /// commit; otherwise whoever holds the gate runs it before letting go, and the task ends at once. Either way its
    /// failure goes to <paramref name="failed"/>, never to the caller.
    /// </summary>
    public Task PostAsync(Func<GridTransaction, ValueTask> operation, Action<Exception> failed)
    {
        var queued = new QueuedOperation<bool>(
            async tx =>
            {
                await operation(tx);
                return true;
            },
            CancellationToken.None,
            failed);
        _passes.StartWaiting();
        _queue.Enqueue(queued);
        // Counted after it is queued, and the gate tried after it is counted: a holder letting go checks the count after
        // releasing (RunAndReleaseAsync), so one of the two always runs it.
        Interlocked.Increment(ref _posted);
        return _gate.Wait(0) ? RunAndReleaseAsync(() => true) : Task.CompletedTask;
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
            await RunAndReleaseAsync(static () => true);
        }
    }

    /// <summary>
    /// Runs batches until <paramref name="done"/> and no posted operation waits, then lets go of the gate; called with the
    /// gate held. A posted operation counted just as the gate was released found it held and left it to the holder, so
    /// the holder takes the gate back for it if nobody else has.
    /// </summary>
    private async Task RunAndReleaseAsync(Func<bool> done)
    {
        do
        {
            try
            {
                while (!done() || Volatile.Read(ref _posted) > 0)
                {
                    await RunBatchAsync();
                }
            }
            finally
            {
                _gate.Release();
            }

            done = static () => true;
        }
        while (Volatile.Read(ref _posted) > 0 && _gate.Wait(0));
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
            if (next.IsPosted)
            {
                Interlocked.Decrement(ref _posted);
            }

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
            batchEnded(batch.Changes, false);
            foreach (var operation in ran)
            {
                operation.Fail(ex);
            }

            return;
        }

        batchEnded(batch.Changes, true);
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
        /// <summary>Queued by <see cref="PostAsync"/>: nobody waits for it.</summary>
        bool IsPosted { get; }

        /// <summary>Runs the operation in a transaction nested in <paramref name="batch"/>; true when it succeeded and its writes joined the batch.</summary>
        ValueTask<bool> RunAsync(GridTransaction batch);

        /// <summary>The batch was saved: the caller gets its result.</summary>
        void Answer();

        /// <summary>The batch could not be saved: the caller gets why.</summary>
        void Fail(Exception exception);
    }

    /// <summary>An operation waiting in the queue; a posted one (<paramref name="failed"/> set) reports its failure there instead of to a caller.</summary>
    private sealed class QueuedOperation<T>(Func<GridTransaction, ValueTask<T>> operation, CancellationToken cancellationToken, Action<Exception>? failed = null) : IQueuedOperation
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private T? _value;
        private bool _ran;

        public Task<T> Result => _result.Task;

        public bool IsPosted => failed is not null;

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
                Fail(ex);
                return false;
            }

            batch.Absorb(tx);
            return true;
        }

        public void Answer() => _result.TrySetResult(_value!);

        public void Fail(Exception exception)
        {
            if (failed is not null)
            {
                failed(exception);
                _result.TrySetResult(default!);
            }
            else
            {
                _result.TrySetException(exception);
            }
        }
    }
}
