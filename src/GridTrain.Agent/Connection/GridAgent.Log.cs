using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Agent {Name} registered as {AgentId} with {Controller}", EventName = "Registered")]
        public static partial void Registered(ILogger logger, string name, string agentId, Uri controller);

        [LoggerMessage(2, LogLevel.Information, "Holding session {SessionId} under lease epoch {Epoch}", EventName = "SessionAssigned")]
        public static partial void SessionAssigned(ILogger logger, string sessionId, long epoch);

        [LoggerMessage(3, LogLevel.Information, "Job {JobId} attempt {Attempt} started as process {ProcessId} with {Threads} threads", EventName = "JobStarted")]
        public static partial void JobStarted(ILogger logger, string jobId, int attempt, int processId, int threads);

        [LoggerMessage(4, LogLevel.Error, "Job {JobId} could not start", EventName = "JobStartFailed")]
        public static partial void JobStartFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(5, LogLevel.Information, "Job {JobId} finished {State}: {Reason}", EventName = "JobFinished")]
        public static partial void JobFinished(ILogger logger, string jobId, JobState state, string reason);

        [LoggerMessage(6, LogLevel.Warning, "Controller refused a report for job {JobId}: {Detail}", EventName = "ReportRefused")]
        public static partial void ReportRefused(ILogger logger, string jobId, string detail);

        [LoggerMessage(7, LogLevel.Information, "Stopping job {JobId}: {Reason}", EventName = "StoppingJob")]
        public static partial void StoppingJob(ILogger logger, string jobId, string reason);

        [LoggerMessage(8, LogLevel.Warning, "Ignoring unknown command {Command}; is the agent older than the controller?", EventName = "UnknownCommand")]
        public static partial void UnknownCommand(ILogger logger, string command);

        [LoggerMessage(9, LogLevel.Error, "Command {Command} failed", EventName = "CommandFailed")]
        public static partial void CommandFailed(ILogger logger, string command, Exception exception);

        [LoggerMessage(11, LogLevel.Information, "Job {JobId} process exited with code {ExitCode}", EventName = "JobProcessExited")]
        public static partial void JobProcessExited(ILogger logger, string jobId, int exitCode);

        [LoggerMessage(12, LogLevel.Warning, "Job {JobId}: could not delete expired checkpoint {Path}", EventName = "PruneFailed")]
        public static partial void PruneFailed(ILogger logger, string jobId, string path, Exception exception);

        [LoggerMessage(13, LogLevel.Warning, "Lost the controller at {Controller} ({Status}: {Detail}); reconnecting in {Delay}", EventName = "Reconnecting")]
        public static partial void Reconnecting(ILogger logger, Uri controller, Grpc.Core.StatusCode status, string detail, TimeSpan delay);

        [LoggerMessage(10, LogLevel.Warning, "Stopping job {JobId} failed", EventName = "StopFailed")]
        public static partial void StopFailed(ILogger logger, string jobId, Exception exception);

        [LoggerMessage(20, LogLevel.Information, "Deleted {Count} stored checkpoints of job {JobId} beyond its retention", EventName = "RetentionApplied")]
        public static partial void RetentionApplied(ILogger logger, string jobId, int count);

        [LoggerMessage(21, LogLevel.Warning, "Checkpoint retention for job {JobId} failed: {Reason}", EventName = "RetentionFailed")]
        public static partial void RetentionFailed(ILogger logger, string jobId, string reason);

        [LoggerMessage(22, LogLevel.Information, "Deleted the stale checkpoint {Uri} of job {JobId} (its lease was gone)", EventName = "StaleCheckpointDeleted")]
        public static partial void StaleCheckpointDeleted(ILogger logger, string jobId, string uri);

        [LoggerMessage(23, LogLevel.Information, "Upload of job {JobId}'s checkpoint at step {Step} left by an earlier run ended: {Outcome}", EventName = "RecoveredUpload")]
        public static partial void RecoveredUpload(ILogger logger, string jobId, long step, string outcome);
    }
}
