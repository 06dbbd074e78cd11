using System.Collections.Concurrent;
using GridTrain.Agent.Gpu;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;

namespace GridTrain.Agent.Leases;

/// <summary>
/// The sessions this agent holds, each under the lease epoch it was assigned with. A release names an epoch: it takes
/// away that lease or an earlier one, never a newer lease granted since.
/// </summary>
internal sealed class LeaseTable(IGpuMonitor gpus)
{
    private readonly ConcurrentDictionary<string, SessionHold> _sessions = new(StringComparer.Ordinal);

    public IReadOnlyCollection<SessionHold> Sessions => [.. _sessions.Values];

    /// <summary>Holds the session under the assignment's lease, replacing any earlier one.</summary>
    public void Assign(AssignSession assign) => _sessions[assign.SessionId] = new SessionHold(assign.SessionId, assign.LeaseEpoch, assign.GpuIndexes);

    /// <summary>Holds the session a job starts in when the assignment has not been seen (after a reconnect).</summary>
    public void HoldForJob(StartJob start) => _sessions.TryAdd(start.SessionId, new SessionHold(start.SessionId, start.LeaseEpoch, start.GpuIndexes));

    /// <summary>Releases the session if held under <paramref name="upToEpoch"/> or an earlier lease; true when it was.</summary>
    public bool Release(string sessionId, long upToEpoch) =>
        _sessions.TryGetValue(sessionId, out var held) && held.LeaseEpoch <= upToEpoch && _sessions.TryRemove(new KeyValuePair<string, SessionHold>(sessionId, held));

    /// <summary>The leases held now, each with its GPUs' mean utilization when they can be read (for GPU stall detection).</summary>
    public IReadOnlyList<HeldSessionReport> Leases() =>
        [.. _sessions.Values.Select(held => new HeldSessionReport(held.SessionId, held.LeaseEpoch, MeanUtilization(held.GpuIndexes)))];

    /// <summary>Mean utilization of the GPUs; null without GPUs or when any of them cannot be read.</summary>
    private double? MeanUtilization(IReadOnlyList<int> gpuIndexes)
    {
        if (gpuIndexes.Count == 0)
        {
            return null;
        }

        var sum = 0.0;
        foreach (var index in gpuIndexes)
        {
            try
            {
                if (gpus.Read(index).Utilization is not { } utilization)
                {
                    return null;
                }

                sum += utilization;
            }
            catch (GpuMonitorException)
            {
                return null;
            }
        }

        return sum / gpuIndexes.Count;
    }
}
