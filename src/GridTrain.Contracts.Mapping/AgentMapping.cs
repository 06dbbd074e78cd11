using GridTrain.Domain.Agents;
using GridTrain.Domain.Agents.Health;
using GridTrain.Domain.AgentProtocol;

namespace GridTrain.Contracts.Mapping;

/// <summary>Agents, inventories and agent directives between the wire and the domain.</summary>
public static class AgentMapping
{
    public static Inventory ToDomain(this Protos.V1.Inventory? inventory)
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

    public static Protos.V1.Inventory ToProto(this Inventory inventory) => new()
    {
        CpuCores = inventory.CpuCores,
        MemoryBytes = inventory.MemoryBytes,
        CpuSlots = inventory.CpuSlots,
        Gpus = { inventory.Gpus.Select(g => new Protos.V1.GpuDevice { Index = g.Index, Uuid = g.Uuid, Model = g.Model, MemoryBytes = g.MemoryBytes }) },
    };

    public static Protos.V1.Agent ToProto(this AgentOverview view) => new()
    {
        Id = view.Agent.Id,
        Name = view.Agent.Name,
        State = view.Agent.State == AgentState.Ready ? Protos.V1.AgentState.Ready : Protos.V1.AgentState.Lost,
        Inventory = view.Agent.Inventory.ToProto(),
        FreeGpuIndexes = { view.FreeGpuIndexes },
        FreeCpuSlots = view.FreeCpuSlots,
        SessionIds = { view.SessionIds },
        RegisteredAt = view.Agent.RegisteredAt.ToTimestamp(),
        LastHeartbeatAt = view.LastSeen.ToTimestamp(),
        Version = view.Agent.Version,
        Cordoned = view.Agent.Cordoned,
        DrainDeadline = view.Agent.DrainDeadline.ToTimestamp(),
        GpuHealth = { view.GpuHealth.Select(ToProto) },
    };

    public static Protos.V1.GpuHealth ToProto(this GpuHealth health) => new()
    {
        Index = health.Index,
        Uuid = health.Uuid,
        Healthy = health.Healthy,
        Cause = health.Cause?.Label() ?? "",
        Reason = health.Reason,
        Since = health.Since.ToTimestamp(),
    };

    /// <summary>An agent's GPU health report; an unknown cause (a newer agent) still takes the GPU out of service.</summary>
    public static IReadOnlyList<GpuHealth> ToDomain(this IEnumerable<Protos.V1.GpuHealth> report) =>
        [.. report.Select((g, i) => g.Healthy ? GpuHealth.Ok(g.Index, g.Uuid) : g.ToDomain($"gpu_health[{i}]"))];

    /// <summary>One GPU's health as an agent reports it; <paramref name="field"/> names it in errors.</summary>
    public static GpuHealth ToDomain(this Protos.V1.GpuHealth g, string field) => g.Healthy
        ? GpuHealth.Ok(g.Index, g.Uuid)
        : new GpuHealth(g.Index, g.Uuid, GpuFaultCauses.Parse(g.Cause) ?? GpuFaultCause.HealthCommand, g.Reason.Length > 0 ? g.Reason : $"{g.Uuid} {g.Cause}", g.Since.ToDomain($"{field}.since"));

    public static Protos.V1.AgentCommand ToProto(this AgentDirective command) => command switch
    {
        AssignSession a => new Protos.V1.AgentCommand { AssignSession = new Protos.V1.AssignSession { SessionId = a.SessionId, LeaseEpoch = a.LeaseEpoch, GpuIndexes = { a.GpuIndexes } } },
        ReleaseSession r => new Protos.V1.AgentCommand { ReleaseSession = new Protos.V1.ReleaseSession { SessionId = r.SessionId, Reason = r.Reason } },
        StartJob s => new Protos.V1.AgentCommand
        {
            StartJob = new Protos.V1.StartJob
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
        CancelJob c => new Protos.V1.AgentCommand { CancelJob = new Protos.V1.CancelJob { JobId = c.JobId, Reason = c.Reason } },
        ReadmitGpu r => new Protos.V1.AgentCommand { ReadmitGpu = new Protos.V1.ReadmitGpu { GpuIndex = r.GpuIndex, Reason = r.Reason } },
        OpenTunnel o => new Protos.V1.AgentCommand { OpenTunnel = o.ToProto() },
        SyncComplete => new Protos.V1.AgentCommand { SyncComplete = new Protos.V1.SyncComplete() },
        _ => throw new ArgumentOutOfRangeException(nameof(command), command.GetType().Name, "unknown command"),
    };

    public static IReadOnlyList<HeldSessionReport> ToDomain(this IEnumerable<Protos.V1.SessionLease> sessions) =>
        [.. sessions.Select(s => new HeldSessionReport(s.SessionId, s.LeaseEpoch, s.HasGpuUtilization ? s.GpuUtilization : null))];

    public static IReadOnlyList<RunningJobReport> ToDomain(this IEnumerable<Protos.V1.RunningJob> jobs) =>
        [.. jobs.Select(j => new RunningJobReport(j.JobId, j.LeaseEpoch))];
}
