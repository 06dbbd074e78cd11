using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Scheduling;

/// <summary>
/// Places pending sessions on agents. Higher priority first, FIFO within a priority. GPU sessions go
/// best-fit (the agent left with the fewest free GPUs), so whole machines stay free for large sessions;
/// CPU sessions prefer machines without GPUs. A session that fits nowhere does not block smaller ones behind it.
/// </summary>
public static class Scheduler
{
    public static IReadOnlyList<Placement> Place(IEnumerable<Session> pending, IEnumerable<AgentCapacity> agents)
    {
        var free = agents.ToDictionary(a => a.AgentId, a => new Free(a.FreeGpus.ToList(), a.FreeCpuSlots, a.TotalGpus), StringComparer.Ordinal);
        var placements = new List<Placement>();

        foreach (var session in pending.Where(s => s.State == SessionState.Pending)
                     .OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var placement = session.Resources.Runtime == Runtime.Gpu
                ? PlaceGpu(session, free)
                : PlaceCpu(session, free);
            if (placement is not null)
            {
                placements.Add(placement);
            }
        }

        return placements;
    }

    private static Placement? PlaceGpu(Session session, Dictionary<string, Free> free)
    {
        var request = session.Resources;
        string? bestAgent = null;
        Free? best = null;
        foreach (var (agentId, candidate) in free)
        {
            if (candidate.Gpus.Count < request.GpuCount
                || (request.GpuModel.Length > 0 && candidate.Gpus.Count(g => Matches(g.Model, request.GpuModel)) < request.GpuCount))
            {
                continue;
            }

            // Best fit: the fewest GPUs left over; ties go to the lower agent id so placement is deterministic.
            if (best is null || candidate.Gpus.Count < best.Gpus.Count
                || (candidate.Gpus.Count == best.Gpus.Count && string.CompareOrdinal(agentId, bestAgent) < 0))
            {
                (bestAgent, best) = (agentId, candidate);
            }
        }

        if (best is null)
        {
            return null;
        }

        var chosen = best.Gpus.Where(g => Matches(g.Model, request.GpuModel)).OrderBy(g => g.Index).Take(request.GpuCount).ToList();
        best.Gpus.RemoveAll(chosen.Contains);
        return new Placement(session.Id, bestAgent!, chosen.Select(g => g.Index).ToList());
    }

    private static Placement? PlaceCpu(Session session, Dictionary<string, Free> free)
    {
        var best = free
            .Where(kv => kv.Value.CpuSlots > 0)
            .OrderBy(kv => kv.Value.TotalGpus > 0)
            .ThenByDescending(kv => kv.Value.CpuSlots)
            .ThenBy(kv => kv.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        if (best.Key is null)
        {
            return null;
        }

        best.Value.CpuSlots--;
        return new Placement(session.Id, best.Key, []);
    }

    private static bool Matches(string model, string constraint) =>
        constraint.Length == 0 || model.Contains(constraint, StringComparison.OrdinalIgnoreCase);

    private sealed class Free(List<Agents.GpuDevice> gpus, int cpuSlots, int totalGpus)
    {
        public List<Agents.GpuDevice> Gpus { get; } = gpus;

        public int CpuSlots { get; set; } = cpuSlots;

        public int TotalGpus { get; } = totalGpus;
    }
}
