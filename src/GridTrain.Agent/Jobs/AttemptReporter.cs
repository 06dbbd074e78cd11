using GridTrain.Agent.Checkpoints;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Agent.Reporting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Jobs;

/// <summary>
/// Carries one job attempt's story to the controller: moves its process's events to its outgoing queue (checkpoints by
/// way of the store), reports them in batches as they come, then its result. Retries through controller outages until
/// the agent's shutdown grace ends; what is unsaid then is saved for the next registration.
/// </summary>
internal sealed partial class AttemptReporter(IControllerLink link, CheckpointPublisher checkpoints, ResultReporter results, GpuHealthWatch gpuHealth, ILogger<AttemptReporter> logger)
{
    private const int MaxEventsPerReport = 500;

    // TensorBoard chunks carry up to 256 KiB each: a report stays well under gRPC's 4 MiB message limit.
    private const int MaxBytesPerReport = 1024 * 1024;

    /// <summary>Moves the process's events to the attempt's outgoing queue, checkpoints once stored when the store is remote.</summary>
    public async Task PumpEventsAsync(JobAttempt job, CancellationToken shutdown)
    {
        double? metric = null;
        try
        {
            await foreach (var data in job.Process.Events.ReadAllAsync(shutdown))
            {
                switch (data)
                {
                    case EpochEvaluated evaluated:
                        metric = evaluated.TestAccuracy;
                        job.Outgoing.Writer.TryWrite(new OutgoingEvent(data, null));
                        break;
                    case CheckpointWritten written when checkpoints.TryUpload(job, written, metric):
                        metric = null;
                        break;
                    default:
                        job.Outgoing.Writer.TryWrite(new OutgoingEvent(data, null));
                        break;
                }
            }
        }
        finally
        {
            job.EndPending();
        }
    }

    /// <summary>Forwards the attempt's events as they come, then its result.</summary>
    public async Task ReportAsync(JobAttempt job, CancellationToken shutdown)
    {
        long sequence = 0;
        var pending = new List<(ReportedEvent Event, string? LocalPath)>();
        var stale = false;
        try
        {
            while (await job.Outgoing.Reader.WaitToReadAsync(shutdown))
            {
                var mayBeCommitted = false;
                var pendingBytes = 0;
                while (pending.Count < MaxEventsPerReport && pendingBytes < MaxBytesPerReport && job.Outgoing.Reader.TryRead(out var item))
                {
                    if (Next(job, item, ref sequence) is { } reported)
                    {
                        pending.Add((reported, item.LocalPath));
                        pendingBytes += link.EncodedSize(reported.Data);
                    }
                }

                if (!stale && pending.Count > 0)
                {
                    // Events refused for the lease mean it is gone: stop the process, and never prune for it.
                    var outcome = await link.ReportEventsAsync(job.JobId, job.LeaseEpoch, [.. pending.Select(p => p.Event)], shutdown);
                    stale = outcome is ReportOutcome.Stale or ReportOutcome.StaleAfterRetry;
                    mayBeCommitted = outcome == ReportOutcome.StaleAfterRetry;
                    if (stale)
                    {
                        job.Process.Kill();
                    }
                    else if (outcome == ReportOutcome.Committed)
                    {
                        checkpoints.Committed(job, [.. pending.Where(p => p.Event.Data is CheckpointWritten).Select(p => ((CheckpointWritten)p.Event.Data, p.LocalPath))]);
                    }
                }

                var uploaded = pending.Where(p => p.LocalPath is not null && p.Event.Data is CheckpointWritten).Select(p => ((CheckpointWritten)p.Event.Data).Uri).ToList();
                if (stale && !mayBeCommitted)
                {
                    checkpoints.DiscardStale(job, uploaded);
                }
                else if (stale && uploaded.Count > 0)
                {
                    // The job's next attempt may resume from one of these; a newer lease's retention prunes them once it commits newer ones.
                    LogStaleUploadsKept(logger, job.JobId, job.LeaseEpoch, uploaded.Count);
                }

                pending.Clear();
            }

            var exit = await job.Process.Exited.WaitAsync(shutdown);
            LogJobProcessExited(logger, job.JobId, exit.ExitCode);
            if (!stale)
            {
                await results.ReportAsync(job.JobId, job.LeaseEpoch, await WithGpuFaultAsync(job, Result(job, exit), shutdown), shutdown);
            }
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested && !stale)
        {
            // The grace ended with the controller unreachable: keep what it has not heard for the next registration.
            while (job.Outgoing.Reader.TryRead(out var item))
            {
                if (Next(job, item, ref sequence) is { } reported)
                {
                    pending.Add((reported, item.LocalPath));
                }
            }

            var result = job.Process.Exited.IsCompletedSuccessfully ? Result(job, job.Process.Exited.Result) : null;
            results.Save(new Reporting.UnreportedAttempt(job.JobId, job.LeaseEpoch, [.. pending.Select(p => p.Event)], result));
        }
    }

    /// <summary>The event to report for <paramref name="item"/>, numbered; null for events the result carries instead.</summary>
    private static ReportedEvent? Next(JobAttempt job, OutgoingEvent item, ref long sequence)
    {
        if (item.Data is TrainingFinished or TrainingFailed)
        {
            return null;
        }

        if (item.Data is ProgressReported progress)
        {
            job.LatestProgress = progress;
        }

        return new ReportedEvent(++sequence, item.Data);
    }

    /// <summary>
    /// A failed GPU job may have died of its GPU (Xid 79 kills the process before the next periodic check): its GPUs
    /// are checked now, and a fault found goes with the result, so the controller does not charge the job for it.
    /// </summary>
    private async Task<JobResult> WithGpuFaultAsync(JobAttempt job, JobResult result, CancellationToken shutdown)
    {
        if (result.State != JobState.Failed || job.Start.GpuIndexes.Count == 0)
        {
            return result;
        }

        await gpuHealth.CheckAsync(shutdown);
        var fault = gpuHealth.Current.FirstOrDefault(g => !g.Healthy && job.Start.GpuIndexes.Contains(g.Index));
        if (fault is null)
        {
            return result;
        }

        LogJobFailedOnFaultyGpu(logger, job.JobId, fault.Reason);
        return result with { GpuFault = fault };
    }

    private static JobResult Result(JobAttempt job, Processes.JobExit exit)
    {
        var result = exit.ToResult();
        return job.Stored.TryGetValue(result.CheckpointUri, out var stored) ? result with { CheckpointUri = stored } : result;
    }

    [LoggerMessage(12, LogLevel.Warning, "Job {JobId} failed on a faulty GPU ({Reason}): reported as the hardware's failure", EventName = "JobFailedOnFaultyGpu")]
    private static partial void LogJobFailedOnFaultyGpu(ILogger logger, string jobId, string reason);

    [LoggerMessage(24, LogLevel.Information, "Job {JobId}: a retried report was refused for lease epoch {LeaseEpoch}; its {Count} stored checkpoints stay, since an earlier try may have committed them", EventName = "StaleUploadsKept")]
    private static partial void LogStaleUploadsKept(ILogger logger, string jobId, long leaseEpoch, int count);

    [LoggerMessage(11, LogLevel.Information, "Job {JobId} process exited with code {ExitCode}", EventName = "JobProcessExited")]
    private static partial void LogJobProcessExited(ILogger logger, string jobId, int exitCode);
}
