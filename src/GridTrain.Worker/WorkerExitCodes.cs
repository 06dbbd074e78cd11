using GridTrain.Domain.Jobs;

namespace GridTrain.Worker;

/// <summary>How the job process ends.</summary>
internal static class WorkerExitCodes
{
    public const int Succeeded = 0;

    /// <summary>An infrastructure or internal failure; the job may be retried.</summary>
    public const int Failed = 1;

    /// <summary>The job itself is at fault (spec, data, checkpoint); not retried.</summary>
    public const int UserError = WorkerProtocol.UserErrorExitCode;

    /// <summary>Stopped by SIGTERM after checkpointing, like a process ended by SIGTERM (128 + 15).</summary>
    public const int Cancelled = 143;
}
