using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.AgentProtocol;

/// <summary>Work the controller sends an agent.</summary>
public abstract record AgentDirective;

/// <summary>Hold resources for a session under <paramref name="LeaseEpoch"/>.</summary>
public sealed record AssignSession(string SessionId, long LeaseEpoch, IReadOnlyList<int> GpuIndexes) : AgentDirective;

/// <summary>Stop everything of a session and free its resources.</summary>
public sealed record ReleaseSession(string SessionId, string Reason) : AgentDirective;

/// <summary>Start a job's process.</summary>
public sealed record StartJob(
    string JobId,
    string SessionId,
    long LeaseEpoch,
    int Attempt,
    JobSpec Spec,
    IReadOnlyList<int> GpuIndexes,
    string? ResumeFrom) : AgentDirective
{
    /// <summary>Directories the job may read from (the controller's dataset roots); empty for any.</summary>
    public IReadOnlyList<string> ReadRoots { get; init; } = [];
}

/// <summary>Stop a job's process.</summary>
public sealed record CancelJob(string JobId, string Reason) : AgentDirective;

/// <summary>Put a GPU taken out of service back into service now (an admin's undrain), without waiting for clean checks.</summary>
public sealed record ReadmitGpu(int GpuIndex, string Reason) : AgentDirective;
