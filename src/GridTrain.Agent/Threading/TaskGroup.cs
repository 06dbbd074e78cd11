using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Threading;

/// <summary>
/// Owns the agent's background work: every task the agent starts outside a request runs here, sees the one shutdown
/// token, and is awaited before the agent is gone. A task that fails is logged, never lost.
/// </summary>
internal sealed partial class TaskGroup(ILogger<TaskGroup> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly ConcurrentDictionary<Task, string> _running = new();

    /// <summary>Cancelled when the agent's shutdown grace has run out (or it is disposed): work still running gives up.</summary>
    public CancellationToken ShutdownToken => _shutdown.Token;

    /// <summary>Tasks not finished yet.</summary>
    public int Count => _running.Keys.Count(t => !t.IsCompleted);

    /// <summary>Starts <paramref name="work"/> under the shutdown token and keeps it until it ends.</summary>
    /// <param name="what">What the work is, for the log should it fail.</param>
    /// <param name="work">The work.</param>
    public void Run(string what, Func<CancellationToken, Task> work) => Start(what, work);

    /// <summary>Like <see cref="Run"/>, for a caller that also waits for the work: the task never fails (failures are logged).</summary>
    public Task Start(string what, Func<CancellationToken, Task> work)
    {
        foreach (var done in _running.Keys.Where(t => t.IsCompleted))
        {
            _running.TryRemove(done, out _);
        }

        var task = GuardAsync(what, work);
        _running.TryAdd(task, what);
        return task;
    }

    /// <summary>Waits until no work is left, including work started by work that ended meanwhile.</summary>
    public async Task WhenIdleAsync()
    {
        while (_running.Keys.Where(t => !t.IsCompleted).ToList() is { Count: > 0 } pending)
        {
            await Task.WhenAll(pending);
        }
    }

    /// <summary>Ends the grace: work still running is cancelled.</summary>
    public Task CancelAsync() => _shutdown.CancelAsync();

    public async ValueTask DisposeAsync()
    {
        await _shutdown.CancelAsync();
        await WhenIdleAsync();
    }

    private async Task GuardAsync(string what, Func<CancellationToken, Task> work)
    {
        // Starts on the thread pool, so the caller never runs the work's synchronous part while holding its own state.
        await Task.Yield();
        try
        {
            await work(_shutdown.Token);
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogFailed(logger, what, ex);
        }
    }

    [LoggerMessage(40, LogLevel.Error, "Agent background work failed: {What}", EventName = "BackgroundWorkFailed")]
    private static partial void LogFailed(ILogger logger, string what, Exception exception);
}
