using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Storage;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// Runs operations one at a time, each in a <see cref="GridTransaction"/>. After an operation comes the scheduling pass
/// if one is due (<see cref="SchedulingPasses"/>); then its writes are saved atomically, and only then are its metrics
/// recorded, its directives sent and its watchers woken, so nothing is announced that a restart could lose.
/// </summary>
internal sealed class GridTransactionRunner(
    IGridStore store,
    TimeProvider time,
    AgentDirectiveBus directives,
    ChangeNotifier notifier,
    GridInstruments instruments,
    Func<GridTransaction, ValueTask> schedulingPass)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly SchedulingPasses _passes = new();

    /// <summary>Runs a writing operation and commits it.</summary>
    public async Task<T> RunAsync<T>(Func<GridTransaction, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        _passes.StartWaiting();
        try
        {
            await _gate.WaitAsync(cancellationToken);
        }
        finally
        {
            _passes.StopWaiting();
        }

        try
        {
            var tx = View(cancellationToken);
            var result = await operation(tx);
            if (_passes.RunNow(tx.NeedsScheduling))
            {
                await schedulingPass(tx);
            }

            await CommitAsync(tx);
            return result;
        }
        finally
        {
            _gate.Release();
        }
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
}
