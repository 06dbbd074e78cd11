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
        var free = new FreeCapacity(agents);
        var placements = new List<Placement>();

        foreach (var session in pending.Where(s => s.State == SessionState.Pending)
                     .OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var placement = session.Resources.Runtime == Runtime.Gpu
                ? free.PlaceGpu(session)
                : free.PlaceCpu(session);
            if (placement is not null)
            {
                placements.Add(placement);
            }
        }

        return placements;
    }

    private static bool Matches(string model, string constraint) =>
        constraint.Length == 0 || model.Contains(constraint, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Free capacity, ordered the way each kind of session chooses, so a placement looks at the best candidates first
    /// instead of at every agent: GPU agents by free GPUs (fewest first) then id; CPU slots on machines without GPUs first,
    /// then the most free slots, then id.
    /// </summary>
    private sealed class FreeCapacity
    {
        private readonly Dictionary<string, Free> _agents = new(StringComparer.Ordinal);
        private readonly SortedSet<(int FreeGpus, string AgentId)> _byFreeGpus = new(Comparer<(int FreeGpus, string AgentId)>.Create(
            (a, b) => a.FreeGpus != b.FreeGpus ? a.FreeGpus.CompareTo(b.FreeGpus) : string.CompareOrdinal(a.AgentId, b.AgentId)));

        private readonly SortedSet<(bool HasGpus, int CpuSlots, string AgentId)> _byCpuSlots = new(Comparer<(bool HasGpus, int CpuSlots, string AgentId)>.Create(
            (a, b) => a.HasGpus != b.HasGpus ? a.HasGpus.CompareTo(b.HasGpus)
                : a.CpuSlots != b.CpuSlots ? b.CpuSlots.CompareTo(a.CpuSlots)
                : string.CompareOrdinal(a.AgentId, b.AgentId)));

        public FreeCapacity(IEnumerable<AgentCapacity> agents)
        {
            foreach (var agent in agents)
            {
                var free = new Free([.. agent.FreeGpus], agent.FreeCpuSlots, agent.TotalGpus > 0);
                _agents[agent.AgentId] = free;
                if (free.Gpus.Count > 0)
                {
                    _byFreeGpus.Add((free.Gpus.Count, agent.AgentId));
                }

                if (free.CpuSlots > 0)
                {
                    _byCpuSlots.Add((free.HasGpus, free.CpuSlots, agent.AgentId));
                }
            }
        }

        /// <summary>Best fit: the agent left with the fewest free GPUs that has enough of the model; ties to the lower id.</summary>
        public Placement? PlaceGpu(Session session)
        {
            var request = session.Resources;
            if (request.GpuCount <= 0 || _byFreeGpus.Count == 0 || _byFreeGpus.Max.FreeGpus < request.GpuCount)
            {
                return null;
            }

            foreach (var (count, agentId) in _byFreeGpus.GetViewBetween((request.GpuCount, ""), _byFreeGpus.Max))
            {
                var candidate = _agents[agentId];
                if (request.GpuModel.Length > 0 && candidate.Gpus.Count(g => Matches(g.Model, request.GpuModel)) < request.GpuCount)
                {
                    continue;
                }

                var chosen = candidate.Gpus.Where(g => Matches(g.Model, request.GpuModel)).OrderBy(g => g.Index).Take(request.GpuCount).ToList();
                candidate.Gpus.RemoveAll(chosen.Contains);
                _byFreeGpus.Remove((count, agentId));
                if (candidate.Gpus.Count > 0)
                {
                    _byFreeGpus.Add((candidate.Gpus.Count, agentId));
                }

                return new Placement(session.Id, agentId, [.. chosen.Select(g => g.Index)]);
            }

            return null;
        }

        public Placement? PlaceCpu(Session session)
        {
            if (_byCpuSlots.Count == 0)
            {
                return null;
            }

            var (hasGpus, slots, agentId) = _byCpuSlots.Min;
            _byCpuSlots.Remove(_byCpuSlots.Min);
            _agents[agentId].CpuSlots = slots - 1;
            if (slots > 1)
            {
                _byCpuSlots.Add((hasGpus, slots - 1, agentId));
            }

            return new Placement(session.Id, agentId, []);
        }
    }

    private sealed class Free(List<Agents.GpuDevice> gpus, int cpuSlots, bool hasGpus)
    {
        public List<Agents.GpuDevice> Gpus { get; } = gpus;

        public int CpuSlots { get; set; } = cpuSlots;

        public bool HasGpus { get; } = hasGpus;
    }
}
