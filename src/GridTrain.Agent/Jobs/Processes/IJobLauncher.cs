using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>Starts job processes. The real one runs the training worker; tests start scripted ones.</summary>
public interface IJobLauncher
{
    /// <summary>Starts the process; throws <see cref="JobLaunchException"/> when it cannot.</summary>
    IJobProcess Start(JobLaunch launch);
}

/// <summary>What a job process runs with.</summary>
/// <param name="Request">The worker's request: the job, its spec, its work directory.</param>
/// <param name="GpuIndexes">The GPUs (NVML indexes) it may use.</param>
/// <param name="RequestPath">Where the request file goes.</param>
/// <param name="SessionId">The session it runs in (a command job runs in the session's workspace).</param>
public sealed record JobLaunch(WorkerRequest Request, IReadOnlyList<int> GpuIndexes, string RequestPath, string SessionId = "");

/// <summary>A job process could not be started (a missing runtime, a full disk), or the job asks for what it cannot have (<see cref="UserError"/>).</summary>
public sealed class JobLaunchException(string message, Exception? innerException = null, bool userError = false) : Exception(message, innerException)
{
    /// <summary>The job itself is at fault (a working directory outside the workspace, a full workspace): not retried.</summary>
    public bool UserError { get; } = userError;
}
