using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>Agents for people.</summary>
internal static class AgentView
{
    public static Table Table(IEnumerable<Protos.V1.Agent> agents, DateTimeOffset now)
    {
        var table = new Table("ID", "NAME", "STATE", "CPUS", "MEMORY", "GPUS FREE", "CPU SLOTS FREE", "SESSIONS", "HEARTBEAT", "VERSION", "GPU HEALTH");
        foreach (var a in agents)
        {
            var inventory = a.Inventory ?? new Inventory();
            table.Add(
                a.Id,
                a.Name,
                Formats.State(a.State) + (a.DrainDeadline is not null ? ",DRAINING" : a.Cordoned ? ",CORDONED" : ""),
                Formats.Integer(inventory.CpuCores),
                Formats.Bytes(inventory.MemoryBytes),
                $"{a.FreeGpuIndexes.Count}/{inventory.Gpus.Count}",
                $"{a.FreeCpuSlots}/{inventory.CpuSlots}",
                Formats.Integer(a.SessionIds.Count),
                Formats.Age(a.LastHeartbeatAt, now) + " ago",
                a.Version.Length > 0 ? a.Version : Formats.None,
                GpuHealth(a));
        }

        return table;
    }

    /// <summary>Each GPU of the agent with its health and the session holding it (<c>agent gpus AGENT</c>).</summary>
    public static Table Gpus(Protos.V1.Agent agent)
    {
        var table = new Table("INDEX", "UUID", "MODEL", "MEMORY", "FREE", "HEALTH", "SINCE", "REASON");
        var health = agent.GpuHealth.ToDictionary(g => g.Index);
        foreach (var gpu in (agent.Inventory ?? new Inventory()).Gpus)
        {
            var known = health.GetValueOrDefault(gpu.Index);
            table.Add(
                Formats.Integer(gpu.Index),
                gpu.Uuid,
                gpu.Model,
                Formats.Bytes(gpu.MemoryBytes),
                agent.FreeGpuIndexes.Contains(gpu.Index) ? "yes" : "no",
                known is null ? "unknown" : known.Healthy ? "healthy" : $"unhealthy ({known.Cause})",
                known?.Since is { } since ? since.ToDateTimeOffset().ToString("u", System.Globalization.CultureInfo.InvariantCulture) : Formats.None,
                known is { Healthy: false } ? known.Reason : Formats.None);
        }

        return table;
    }

    /// <summary>"ok", or each GPU out of service with its reason.</summary>
    private static string GpuHealth(Protos.V1.Agent agent)
    {
        var unhealthy = agent.GpuHealth.Where(g => !g.Healthy).ToList();
        if (agent.GpuHealth.Count == 0)
        {
            return Formats.None;
        }

        return unhealthy.Count == 0 ? "ok" : string.Join("; ", unhealthy.Select(g => $"gpu {g.Index} out: {g.Reason}"));
    }
}
