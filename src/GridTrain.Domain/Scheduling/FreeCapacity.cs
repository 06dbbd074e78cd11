using GridTrain.Domain.Agents;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Scheduling;

/// <summary>
/// Free capacity, ordered the way each kind of session chooses, so a placement looks at the best candidates first
/// instead of at every agent: GPU agents by free GPUs (fewest first) then id; CPU slots on machines without GPUs first,
/// then the most free slots, then id. It can be kept between scheduling passes and updated one agent at a time
/// (<see cref="Set"/>, <see cref="Remove"/>), so a pass costs what changed, not the size of the fleet. Not thread-safe.
/// </summary>
public sealed class FreeCapacity
{
    private readonly Dictionary<string, Free> _agents = new(StringComparer.Ordinal);
    private readonly SortedSet<(int FreeGpus, string AgentId)> _byFreeGpus = new(Comparer<(int FreeGpus, string AgentId)>.Create(
        (a, b) => a.FreeGpus != b.FreeGpus ? a.FreeGpus.CompareTo(b.FreeGpus) : string.CompareOrdinal(a.AgentId, b.AgentId)));

    private readonly SortedSet<(bool HasGpus, int CpuSlots, string AgentId)> _byCpuSlots = new(Comparer<(bool HasGpus, int CpuSlots, string AgentId)>.Create(
        (a, b) => a.HasGpus != b.HasGpus ? a.HasGpus.CompareTo(b.HasGpus)
            : a.CpuSlots != b.CpuSlots ? b.CpuSlots.CompareTo(a.CpuSlots)
            : string.CompareOrdinal(a.AgentId, b.AgentId)));

    public FreeCapacity()
    {
    }

    public FreeCapacity(IEnumerable<AgentCapacity> agents)
    {
        foreach (var agent in agents)
        {
            Set(agent);
        }
    }

    /// <summary>Agents with any capacity entered (free or not).</summary>
    public int Count => _agents.Count;

    /// <summary>The agent's free GPUs (indexes, ascending) and CPU slots as entered and taken from since; null when it is not entered.</summary>
    public (IReadOnlyList<int> FreeGpus, int FreeCpuSlots)? Of(string agentId) =>
        _agents.TryGetValue(agentId, out var free) ? ([.. free.Gpus.Select(g => g.Index).Order()], free.CpuSlots) : null;

    /// <summary>Enters <paramref name="capacity"/> as its agent's, replacing what was entered for it.</summary>
    public void Set(AgentCapacity capacity)
    {
        Remove(capacity.AgentId);
        var free = new Free([.. capacity.FreeGpus], capacity.FreeCpuSlots, capacity.TotalGpus > 0);
        _agents[capacity.AgentId] = free;
        if (free.Gpus.Count > 0)
        {
            _byFreeGpus.Add((free.Gpus.Count, capacity.AgentId));
        }

        if (free.CpuSlots > 0)
        {
            _byCpuSlots.Add((free.HasGpus, free.CpuSlots, capacity.AgentId));
        }
    }

    /// <summary>Takes every agent out.</summary>
    public void Clear()
    {
        _agents.Clear();
        _byFreeGpus.Clear();
        _byCpuSlots.Clear();
    }

    /// <summary>Takes the agent out: nothing is placed on it until it is entered again.</summary>
    public void Remove(string agentId)
    {
        if (!_agents.Remove(agentId, out var old))
        {
            return;
        }

        _byFreeGpus.Remove((old.Gpus.Count, agentId));
        _byCpuSlots.Remove((old.HasGpus, old.CpuSlots, agentId));
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

    /// <summary>The machine without GPUs with the most free slots, else the GPU machine with the most.</summary>
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

    private static bool Matches(string model, string constraint) =>
        constraint.Length == 0 || model.Contains(constraint, StringComparison.OrdinalIgnoreCase);

    private sealed class Free(List<GpuDevice> gpus, int cpuSlots, bool hasGpus)
    {
        public List<GpuDevice> Gpus { get; } = gpus;

        public int CpuSlots { get; set; } = cpuSlots;

        public bool HasGpus { get; } = hasGpus;
    }
}
