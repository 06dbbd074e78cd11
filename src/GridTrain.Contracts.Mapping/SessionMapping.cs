using Google.Protobuf.WellKnownTypes;
using GridTrain.Domain;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Sessions;

namespace GridTrain.Contracts.Mapping;

/// <summary>Sessions between the wire and the domain.</summary>
public static class SessionMapping
{
    /// <summary>A session for the wire; a held session's units and GPU-hours are counted up to <paramref name="now"/> (default: its last change).</summary>
    public static Protos.V1.Session ToProto(this Session session, DateTimeOffset? now = null) => new()
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
        UnitsSpent = session.UnitsWithin(DateTimeOffset.MinValue, now ?? session.UpdatedAt),
        UnitsPerHour = session.UnitsPerHour,
        GpuHours = session.GpuHoursWithin(DateTimeOffset.MinValue, now ?? session.UpdatedAt),
    };

    public static Protos.V1.Quota ToProto(this GridTrain.Domain.Quotas.QuotaUsage usage) => new()
    {
        Owner = usage.Owner,
        ConcurrentGpus = usage.ConcurrentGpus,
        MaxConcurrentGpus = usage.MaxConcurrentGpus,
        GpuHours = usage.GpuHours,
        GpuHoursPerWindow = usage.GpuHoursPerWindow,
        Window = Duration.FromTimeSpan(usage.Window),
        UnitsSpent = usage.UnitsSpent,
        UnitsPerWindow = usage.UnitsPerWindow,
        BurnRate = usage.BurnRate,
        UnitsFreeAt = usage.UnitsFreeAt?.ToTimestamp(),
        WhenExhausted = usage.Exhausted.ToFlag(),
    };

    /// <summary>The name of an exhaustion behaviour as the CLI flag and the wire spell it.</summary>
    public static string ToFlag(this GridTrain.Domain.Quotas.QuotaExhaustion exhausted) => exhausted switch
    {
        GridTrain.Domain.Quotas.QuotaExhaustion.Queue => "queue",
        GridTrain.Domain.Quotas.QuotaExhaustion.CpuOnly => "cpu-only",
        _ => "refuse",
    };

    public static Protos.V1.IdleExplanation ToProto(this IdleExplanation explanation, string sessionId) => new()
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

        if (duration.Nanos > 999_999_999)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: nanos must be below 1,000,000,000, got {duration.Nanos}");
        }

        return duration.ToTimeSpan();
    }

    /// <summary>An optional time from the wire; one outside what a timestamp may hold is refused naming <paramref name="field"/>.</summary>
    public static DateTimeOffset? ToDomain(this Timestamp? time, string field)
    {
        const long MinSeconds = -62_135_596_800; // 0001-01-01T00:00:00Z
        const long MaxSeconds = 253_402_300_799; // 9999-12-31T23:59:59Z
        if (time is null)
        {
            return null;
        }

        if (time.Seconds is < MinSeconds or > MaxSeconds || time.Nanos is < 0 or > 999_999_999)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: not a valid timestamp (seconds {time.Seconds}, nanos {time.Nanos})");
        }

        return time.ToDateTimeOffset();
    }

    public static Protos.V1.SessionEvent ToProto(this SessionChange change) => new()
    {
        Sequence = change.Sequence,
        Time = change.Time.ToTimestamp(),
        State = change.State.ToProto(),
        AgentId = change.AgentId ?? "",
        Reason = change.Reason,
        Kind = change.Kind == SessionChangeKind.EvictionWarning ? Protos.V1.SessionEventKind.EvictionWarning : Protos.V1.SessionEventKind.StateChanged,
        EvictionDeadline = change.EvictionDeadline.ToTimestamp(),
    };

    public static Protos.V1.ResourceRequest ToProto(this ResourceRequest resources) => new()
    {
        Runtime = resources.Runtime == Runtime.Gpu ? Protos.V1.Runtime.Gpu : Protos.V1.Runtime.Cpu,
        GpuCount = resources.GpuCount,
        GpuModel = resources.GpuModel,
    };

    /// <summary>The request's resources; a missing message or unknown runtime is refused naming <paramref name="field"/>.</summary>
    public static ResourceRequest ToDomain(this Protos.V1.ResourceRequest? resources, string field)
    {
        if (resources is null)
        {
            throw new GridException(GridError.InvalidArgument, $"{field}: required (runtime cpu or gpu)");
        }

        var runtime = resources.Runtime switch
        {
            Protos.V1.Runtime.Cpu => Runtime.Cpu,
            Protos.V1.Runtime.Gpu => Runtime.Gpu,
            Protos.V1.Runtime.Unspecified => throw new GridException(GridError.InvalidArgument, $"{field}.runtime: required; use RUNTIME_CPU or RUNTIME_GPU"),
            _ => throw new GridException(GridError.InvalidArgument, $"{field}.runtime: unknown runtime {(int)resources.Runtime}; use RUNTIME_CPU or RUNTIME_GPU"),
        };
        return new ResourceRequest(runtime, resources.GpuCount, resources.GpuModel);
    }

    public static Protos.V1.SessionState ToProto(this SessionState state) => (Protos.V1.SessionState)(int)state;
}
