using Google.Protobuf.WellKnownTypes;
using GridTrain.Domain;
using GridTrain.Domain.Eviction;
using Sessions = GridTrain.Domain.Sessions;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Contracts.Mapping;

/// <summary>Sessions between the wire and the domain.</summary>
public static class SessionMapping
{
    public static Wire.Session ToProto(this Sessions.Session session) => new()
    {
        Id = session.Id,
        State = session.State.ToProto(),
        Resources = session.Resources.ToProto(),
        AgentId = session.AgentId ?? "",
        GpuIndexes = { session.GpuIndexes },
        LeaseEpoch = session.LeaseEpoch,
        Batch = session.Batch,
        Priority = session.Priority,
        StateReason = session.StateReason,
        DisplayName = session.DisplayName,
        CreatedAt = session.CreatedAt.ToTimestamp(),
        UpdatedAt = session.UpdatedAt.ToTimestamp(),
        IdleTimeout = Duration.FromTimeSpan(session.IdleTimeout),
        MaxLifetime = Duration.FromTimeSpan(session.MaxLifetime),
        LastActivityAt = session.LastActivityAt.ToTimestamp(),
        ExpiresAt = session.ExpiresAt.ToTimestamp(),
        Owner = session.Owner,
    };

    public static Wire.Quota ToProto(this GridTrain.Domain.Quotas.QuotaUsage usage) => new()
    {
        Owner = usage.Owner,
        ConcurrentGpus = usage.ConcurrentGpus,
        MaxConcurrentGpus = usage.MaxConcurrentGpus,
        GpuHours = usage.GpuHours,
        GpuHoursPerWindow = usage.GpuHoursPerWindow,
        Window = Duration.FromTimeSpan(usage.Window),
    };

    public static Wire.IdleExplanation ToProto(this IdleExplanation explanation, string sessionId) => new()
    {
        SessionId = sessionId,
        Idle = explanation.Idle,
        Reasons = { explanation.Reasons },
        EvictionAt = explanation.EvictionAt.ToTimestamp(),
        EvictionReason = explanation.EvictionReason ?? "",
        ExpiresAt = explanation.ExpiresAt.ToTimestamp(),
        LastActivityAt = explanation.LastActivityAt.ToTimestamp(),
    };

    /// <summary>An optional duration from the wire; negative or absurd values are refused naming <paramref name="field"/>.</summary>
    public static TimeSpan? ToDomain(this Duration? duration, string field)
    {
        if (duration is null)
        {
            return null;
        }

        if (duration.Seconds < 0 || duration.Nanos < 0 || duration.Seconds > 10L * 365 * 24 * 3600)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: must be a positive duration, got {duration.Seconds}s");
        }

        return duration.ToTimeSpan();
    }

    public static Wire.SessionEvent ToProto(this Sessions.SessionChange change) => new()
    {
        Sequence = change.Sequence,
        Time = change.Time.ToTimestamp(),
        State = change.State.ToProto(),
        AgentId = change.AgentId ?? "",
        Reason = change.Reason,
        Kind = change.Kind == Sessions.SessionChangeKind.EvictionWarning ? Wire.SessionEventKind.EvictionWarning : Wire.SessionEventKind.StateChanged,
        EvictionDeadline = change.EvictionDeadline.ToTimestamp(),
    };

    public static Wire.ResourceRequest ToProto(this Sessions.ResourceRequest resources) => new()
    {
        Runtime = resources.Runtime == Sessions.Runtime.Gpu ? Wire.Runtime.Gpu : Wire.Runtime.Cpu,
        GpuCount = resources.GpuCount,
        GpuModel = resources.GpuModel,
    };

    /// <summary>The request's resources; a missing message or unknown runtime is refused naming <paramref name="field"/>.</summary>
    public static Sessions.ResourceRequest ToDomain(this Wire.ResourceRequest? resources, string field)
    {
        if (resources is null)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: required (runtime cpu or gpu)");
        }

        var runtime = resources.Runtime switch
        {
            Wire.Runtime.Cpu => Sessions.Runtime.Cpu,
            Wire.Runtime.Gpu => Sessions.Runtime.Gpu,
            Wire.Runtime.Unspecified => throw new GridException(GridError.InvalidArgument, $"{field}.runtime: required; use RUNTIME_CPU or RUNTIME_GPU"),
            _ => throw new GridException(GridError.InvalidArgument, $"{field}.runtime: unknown runtime {(int)resources.Runtime}; use RUNTIME_CPU or RUNTIME_GPU"),
        };
        return new Sessions.ResourceRequest(runtime, resources.GpuCount, resources.GpuModel);
    }

    public static Wire.SessionState ToProto(this Sessions.SessionState state) => (Wire.SessionState)(int)state;
}
