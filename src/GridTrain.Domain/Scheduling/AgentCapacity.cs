using GridTrain.Domain.Agents;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Scheduling;

/// <summary>What an agent has left: GPUs not leased and CPU session slots not used.</summary>
public sealed record AgentCapacity(string AgentId, IReadOnlyList<GpuDevice> FreeGpus, int FreeCpuSlots, int TotalGpus)
{
    /// <summary>What <paramref name="agent"/> has left beside the sessions it holds and the GPUs out of service.</summary>
    public static AgentCapacity Of(Agent agent, IEnumerable<Session> held, IReadOnlySet<int>? outOfService = null)
    {
        var sessions = held.ToList();
        var usedGpus = sessions.SelectMany(s => s.GpuIndexes).ToHashSet();
        usedGpus.UnionWith(outOfService ?? new HashSet<int>());
        var usedCpuSlots = sessions.Count(s => s.Resources.Runtime == Runtime.Cpu);
        return new AgentCapacity(
            agent.Id,
            agent.Inventory.Gpus.Where(g => !usedGpus.Contains(g.Index)).ToList(),
            Math.Max(0, agent.Inventory.CpuSlots - usedCpuSlots),
            agent.Inventory.Gpus.Count);
    }

    /// <summary>Whether the agent has, in total, what the request needs (free or not).</summary>
    public static bool Offers(Agent agent, ResourceRequest request) =>
        request.Runtime == Runtime.Cpu
            ? agent.Inventory.CpuSlots > 0
            : agent.Inventory.Gpus.Count(g => request.GpuModel.Length == 0 || g.Model.Contains(request.GpuModel, StringComparison.OrdinalIgnoreCase)) >= request.GpuCount;
}
