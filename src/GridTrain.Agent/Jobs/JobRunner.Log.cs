using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Jobs;

internal sealed partial class JobRunner
{
    [LoggerMessage(3, LogLevel.Information, "Job {JobId} attempt {Attempt} started as process {ProcessId} with {Threads} threads", EventName = "JobStarted")]
    private static partial void LogJobStarted(ILogger logger, string jobId, int attempt, int processId, int threads);

    [LoggerMessage(4, LogLevel.Error, "Job {JobId} could not start", EventName = "JobStartFailed")]
    private static partial void LogJobStartFailed(ILogger logger, string jobId, Exception exception);

    [LoggerMessage(7, LogLevel.Information, "Stopping job {JobId}: {Reason}", EventName = "StoppingJob")]
    private static partial void LogStoppingJob(ILogger logger, string jobId, string reason);
}
