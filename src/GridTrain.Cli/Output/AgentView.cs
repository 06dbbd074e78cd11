using GridTrain.Protos.V1;

namespace GridTrain.Cli.Output;

/// <summary>Agents for people.</summary>
internal static class AgentView
{
    public static Table Table(IEnumerable<Protos.V1.Agent> agents, DateTimeOffset now)
    {
        var table = new Table("ID", "NAME", "STATE", "CPUS", "MEMORY", "GPUS FREE", "CPU SLOTS FREE", "SESSIONS", "HEARTBEAT", "VERSION");
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
                a.Version.Length > 0 ? a.Version : Formats.None);
        }

        return table;
    }
}
