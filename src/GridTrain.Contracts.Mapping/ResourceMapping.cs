using GridTrain.Domain.Agents;
using GridTrain.Domain.Sessions;

namespace GridTrain.Contracts.Mapping;

/// <summary>Readings of a machine's use (RAM, disk, GPUs) between the wire and the domain.</summary>
public static class ResourceMapping
{
    public static AgentResources ToDomain(this Protos.V1.AgentResources resources) => new(
        resources.Memory?.ToDomain(),
        resources.Disk?.ToDomain(),
        [.. resources.Gpus.Select(g => new GpuTelemetry(
            g.Index,
            g.HasUtilization ? g.Utilization : null,
            g.HasMemoryUsedBytes ? g.MemoryUsedBytes : null,
            g.HasMemoryTotalBytes ? g.MemoryTotalBytes : null))]);

    public static Protos.V1.AgentResources ToProto(this AgentResources resources) => new()
    {
        Memory = resources.Memory?.ToProto(),
        Disk = resources.Disk?.ToProto(),
        Gpus = { resources.Gpus.Select(g => g.ToProto("")) },
    };

    /// <summary>The session's share of its agent's reading, for its owner.</summary>
    public static Protos.V1.SessionResources ToProto(this SessionResources resources) => new()
    {
        SessionId = resources.SessionId,
        AgentId = resources.Agent?.Id ?? "",
        AgentName = resources.Agent?.Name ?? "",
        ReadAt = resources.ReadAt.ToTimestamp(),
        Gpus =
        {
            resources.Gpus.Select(g => (g.Telemetry ?? new GpuTelemetry(g.Device.Index, null, null, g.Device.MemoryBytes > 0 ? g.Device.MemoryBytes : null))
                .ToProto(g.Device.Model)),
        },
        Memory = resources.Memory?.ToProto(),
        Disk = resources.Disk?.ToProto(),
    };

    private static SpaceUse ToDomain(this Protos.V1.SpaceUse use) => new(use.UsedBytes, use.TotalBytes);

    private static Protos.V1.SpaceUse ToProto(this SpaceUse use) => new() { UsedBytes = use.UsedBytes, TotalBytes = use.TotalBytes };

    private static Protos.V1.GpuTelemetry ToProto(this GpuTelemetry gpu, string model)
    {
        var wire = new Protos.V1.GpuTelemetry { Index = gpu.Index, Model = model };
        if (gpu.Utilization is { } utilization)
        {
            wire.Utilization = utilization;
        }

        if (gpu.MemoryUsedBytes is { } used)
        {
            wire.MemoryUsedBytes = used;
        }

        if (gpu.MemoryTotalBytes is { } total)
        {
            wire.MemoryTotalBytes = total;
        }

        return wire;
    }
}
