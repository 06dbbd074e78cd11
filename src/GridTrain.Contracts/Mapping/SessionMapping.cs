using GridTrain.Domain;
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
    };

    public static Wire.SessionEvent ToProto(this Sessions.SessionChange change) => new()
    {
        Sequence = change.Sequence,
        Time = change.Time.ToTimestamp(),
        State = change.State.ToProto(),
        AgentId = change.AgentId ?? "",
        Reason = change.Reason,
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
