using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;

namespace GridTrain.Agent.Jobs;

/// <summary>
/// An attempt not started yet: waiting for the previous attempt's process to exit, or for its downloads. A stop that
/// arrives meanwhile is remembered.
/// </summary>
internal sealed class PendingAttempt(StartJob start)
{
    private string? _stopReason;

    public StartJob Start { get; } = start;

    public string? StopReason => Volatile.Read(ref _stopReason);

    public void Stop(string reason) => Interlocked.CompareExchange(ref _stopReason, reason, null);
}
