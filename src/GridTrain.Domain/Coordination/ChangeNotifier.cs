namespace GridTrain.Domain.Coordination;

/// <summary>
/// Wakes watchers of a key (a job's or a session's event stream, an agent, an agent's resource readings). Take the
/// wait task before reading, so a change that lands between the read and the wait is not missed.
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

    /// <summary>Notified with every agent's own key (not with its readings'): wakes those who watch the fleet.</summary>
    public const string AnyAgentKey = "agents";

    public void Notify(string key)
    {
        Release(key);
        if (key.StartsWith("session/", StringComparison.Ordinal))
        {
            Release(AnySessionKey);
        }
        else if (key.StartsWith("agent/", StringComparison.Ordinal))
        {
            Release(AnyAgentKey);
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

    /// <summary>An agent's record changed (registered, lost, cordoned, drained).</summary>
    public static string AgentKey(string agentId) => "agent/" + agentId;

    /// <summary>An agent reported a new reading of its machine's use (every heartbeat that carries one).</summary>
    public static string AgentResourcesKey(string agentId) => "agent-resources/" + agentId;
}
