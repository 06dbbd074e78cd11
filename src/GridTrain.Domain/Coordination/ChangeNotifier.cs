using GridTrain.Domain.AgentProtocol;
namespace GridTrain.Domain.Coordination;

/// <summary>
/// Wakes watchers of a key (a job's or a session's event stream). Take the wait task before reading,
/// so a change that lands between the read and the wait is not missed.
/// </summary>
public sealed class ChangeNotifier
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    public Task NextChange(string key)
    {
        lock (_lock)
        {
            if (!_waiters.TryGetValue(key, out var waiter))
            {
                waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters[key] = waiter;
            }

            return waiter.Task;
        }
    }

    /// <summary>Notified with every session's own key: wakes those who watch all sessions.</summary>
    public const string AnySessionKey = "sessions";

    public void Notify(string key)
    {
        Release(key);
        if (key.StartsWith("session/", StringComparison.Ordinal))
        {
            Release(AnySessionKey);
        }
    }

    private void Release(string key)
    {
        TaskCompletionSource? waiter;
        lock (_lock)
        {
            if (_waiters.Remove(key, out waiter) is false)
            {
                return;
            }
        }

        waiter.TrySetResult();
    }

    public static string JobKey(string jobId) => "job/" + jobId;

    public static string SessionKey(string sessionId) => "session/" + sessionId;
}
