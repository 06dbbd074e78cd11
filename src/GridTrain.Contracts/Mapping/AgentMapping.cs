using GridTrain.Domain.Agents;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Contracts.Mapping;

/// <summary>Agents, inventories and agent commands between the wire and the domain.</summary>
public static class AgentMapping
{
    public static Inventory ToDomain(this Wire.Inventory? inventory)
    {
        if (inventory is null)
        {
            throw new GridTrain.Domain.GridException(GridTrain.Domain.GridError.InvalidArgument, "inventory: required");
        }

        return new Inventory(
            inventory.CpuCores,
            inventory.MemoryBytes,
            [.. inventory.Gpus.Select(g => new GpuDevice(g.Index, g.Uuid, g.Model, g.MemoryBytes))],
            inventory.CpuSlots);
    }

    public static Wire.Inventory ToProto(this Inventory inventory) => new()
    {
        CpuCores = inventory.CpuCores,
        MemoryBytes = inventory.MemoryBytes,
        CpuSlots = inventory.CpuSlots,
        Gpus = { inventory.Gpus.Select(g => new Wire.GpuDevice { Index = g.Index, Uuid = g.Uuid, Model = g.Model, MemoryBytes = g.MemoryBytes }) },
    };

    public static Wire.Agent ToProto(this AgentOverview view) => new()
    {
        Id = view.Agent.Id,
        Name = view.Agent.Name,
        State = view.Agent.State == AgentState.Ready ? Wire.AgentState.Ready : Wire.AgentState.Lost,
        Inventory = view.Agent.Inventory.ToProto(),
        FreeGpuIndexes = { view.FreeGpuIndexes },
        FreeCpuSlots = view.FreeCpuSlots,
        SessionIds = { view.SessionIds },
        RegisteredAt = view.Agent.RegisteredAt.ToTimestamp(),
        LastHeartbeatAt = view.LastSeen.ToTimestamp(),
        Version = view.Agent.Version,
        Cordoned = view.Agent.Cordoned,
        DrainDeadline = view.Agent.DrainDeadline.ToTimestamp(),
    };

    public static Wire.AgentCommand ToProto(this AgentDirective command) => command switch
    {
        AssignSession a => new Wire.AgentCommand { AssignSession = new Wire.AssignSession { SessionId = a.SessionId, LeaseEpoch = a.LeaseEpoch, GpuIndexes = { a.GpuIndexes } } },
        ReleaseSession r => new Wire.AgentCommand { ReleaseSession = new Wire.ReleaseSession { SessionId = r.SessionId, Reason = r.Reason } },
        StartJob s => new Wire.AgentCommand
        {
            StartJob = new Wire.StartJob
            {
                JobId = s.JobId,
                SessionId = s.SessionId,
                LeaseEpoch = s.LeaseEpoch,
                Attempt = s.Attempt,
                Spec = s.Spec.ToProto(),
                GpuIndexes = { s.GpuIndexes },
                ResumeFrom = s.ResumeFrom ?? "",
            },
        },
        CancelJob c => new Wire.AgentCommand { CancelJob = new Wire.CancelJob { JobId = c.JobId, Reason = c.Reason } },
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown command"),
    };

    public static IReadOnlyList<HeldSessionReport> ToDomain(this IEnumerable<Wire.SessionLease> sessions) =>
        [.. sessions.Select(s => new HeldSessionReport(s.SessionId, s.LeaseEpoch, s.HasGpuUtilization ? s.GpuUtilization : null))];

    public static IReadOnlyList<RunningJobReport> ToDomain(this IEnumerable<Wire.RunningJob> jobs) =>
        [.. jobs.Select(j => new RunningJobReport(j.JobId, j.LeaseEpoch))];
}
