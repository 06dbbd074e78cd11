using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs;
using GridTrain.Agent.Threading;
using GridTrain.Checkpoints.Stores;
using GridTrain.Checkpoints.Uploads;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Checkpoints;

/// <summary>
/// Moves job attempts' checkpoints where they belong: uploads spooled ones to a remote store before they are reported,
/// prunes local ones the controller has committed newer ones over, applies the store's retention, and takes a stale
/// lease's uploads off the store again. Its background work runs in the agent's <see cref="TaskGroup"/>.
/// </summary>
internal sealed partial class CheckpointPublisher(JobStorage storage, TaskGroup tasks, IOptions<AgentOptions> options, ILogger<CheckpointPublisher> logger)
{
    /// <summary>Checkpoints spooled by jobs and not yet in the store (0 for the local store).</summary>
    public int Backlog => storage.Uploader?.Backlog ?? 0;

    /// <summary>
    /// With a remote store, starts uploading the checkpoint and returns true: it is reported once stored and verified
    /// (or, when the store refuses it for good, as the local file with the reason in the job's log). False for the local store.
    /// </summary>
    public bool TryUpload(JobAttempt job, CheckpointWritten written, double? metric)
    {
        if (storage.Uploader is not { } uploader)
        {
            return false;
        }

        job.BeginUpload();
        tasks.Run($"upload of job {job.JobId}'s checkpoint at step {written.Step}", ct => UploadAsync(job, uploader, written, metric, ct));
        return true;
    }

    /// <summary>
    /// Deletes local checkpoints beyond keep_last now that these are committed (in the order reported), and applies the
    /// store's retention up to the last of them, which the controller now holds as the job's latest checkpoint.
    /// </summary>
    public void Committed(JobAttempt job, IReadOnlyList<(CheckpointWritten Written, string? LocalPath)> checkpoints)
    {
        foreach (var expired in job.Checkpoints.Commit(checkpoints.Select(c => c.LocalPath ?? c.Written.Uri)))
        {
            try
            {
                CommittedCheckpoints.Delete(expired);
            }
            catch (IOException ex)
            {
                LogPruneFailed(logger, job.JobId, expired, ex);
            }
        }

        if (checkpoints.Count > 0 && storage.Store.IsRemote)
        {
            var committed = (job.LeaseEpoch, checkpoints[^1].Written.Step);
            tasks.Run($"checkpoint retention of job {job.JobId}", ct => ApplyRetentionAsync(job, committed, ct));
        }
    }

    /// <summary>A stale writer's uploads never become anyone's checkpoint: takes them off the store again.</summary>
    public void DiscardStale(JobAttempt job, IEnumerable<string> storedUris)
    {
        foreach (var uri in storedUris.Where(u => storage.Store.IsRemote && storage.Store.Owns(u)))
        {
            tasks.Run($"deletion of job {job.JobId}'s stale checkpoint", ct => DeleteStaleAsync(job.JobId, uri, ct));
        }
    }

    /// <summary>Continues the uploads an earlier run of this agent left; their jobs' processes are gone, so they are only stored.</summary>
    public void ResumeUploads()
    {
        if (storage.Uploader is not { } uploader)
        {
            return;
        }

        foreach (var (checkpoint, stored) in uploader.Recover())
        {
            tasks.Run($"recovered upload of job {checkpoint.JobId}", async ct =>
            {
                string outcome;
                try
                {
                    outcome = await stored.WaitAsync(ct);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    outcome = ex.Message;
                }

                LogRecoveredUpload(logger, checkpoint.JobId, checkpoint.Step, outcome);
            });
        }
    }

    private async Task UploadAsync(JobAttempt job, CheckpointUploader uploader, CheckpointWritten written, double? metric, CancellationToken cancellationToken)
    {
        try
        {
            var uri = await uploader.EnqueueAsync(new SpooledCheckpoint(job.JobId, job.LeaseEpoch, job.Attempt, written.Step, written.Uri, metric)).WaitAsync(cancellationToken);
            job.Stored[written.Uri] = uri;
            job.Outgoing.Writer.TryWrite(new OutgoingEvent(new CheckpointWritten(written.Step, uri), written.Uri));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The agent is stopping; the upload resumes when it starts again.
        }
        catch (Exception ex)
        {
            var reason = $"checkpoint at step {written.Step} was not stored in {storage.Store.Kind}: {ex.Message}; training continues and the checkpoint stays on agent {options.Value.Name}";
            job.Outgoing.Writer.TryWrite(new OutgoingEvent(new LogWritten("agent", reason), null));
            job.Outgoing.Writer.TryWrite(new OutgoingEvent(written, written.Uri));
        }
        finally
        {
            job.EndPending();
        }
    }

    /// <summary>
    /// Deletes stored checkpoints beyond the job's keep_last (and the best one) at or below <paramref name="committed"/>;
    /// uploads newer than it are not settled yet (still being reported, or a newer lease's, should this one be stale by now).
    /// </summary>
    private async Task ApplyRetentionAsync(JobAttempt job, (long Epoch, long Step) committed, CancellationToken cancellationToken)
    {
        await job.Retention.WaitAsync(cancellationToken);
        try
        {
            var policy = new RetentionPolicy(job.Checkpoints.KeepLast, options.Value.KeepBestCheckpoint, committed);
            var deleted = await storage.Store.ApplyRetentionAsync(job.JobId, policy, cancellationToken);
            if (deleted > 0)
            {
                LogRetentionApplied(logger, job.JobId, deleted);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRetentionFailed(logger, job.JobId, ex.Message);
        }
        finally
        {
            job.Retention.Release();
        }
    }

    private async Task DeleteStaleAsync(string jobId, string uri, CancellationToken cancellationToken)
    {
        try
        {
            await storage.Store.DeleteAsync(uri, cancellationToken);
            LogStaleCheckpointDeleted(logger, jobId, uri);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRetentionFailed(logger, jobId, ex.Message);
        }
    }

    [LoggerMessage(12, LogLevel.Warning, "Job {JobId}: could not delete expired checkpoint {Path}", EventName = "PruneFailed")]
    private static partial void LogPruneFailed(ILogger logger, string jobId, string path, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "Deleted {Count} stored checkpoints of job {JobId} beyond its retention", EventName = "RetentionApplied")]
    private static partial void LogRetentionApplied(ILogger logger, string jobId, int count);

    [LoggerMessage(21, LogLevel.Warning, "Checkpoint retention for job {JobId} failed: {Reason}", EventName = "RetentionFailed")]
    private static partial void LogRetentionFailed(ILogger logger, string jobId, string reason);

    [LoggerMessage(22, LogLevel.Information, "Deleted the stale checkpoint {Uri} of job {JobId} (its lease was gone)", EventName = "StaleCheckpointDeleted")]
    private static partial void LogStaleCheckpointDeleted(ILogger logger, string jobId, string uri);

    [LoggerMessage(23, LogLevel.Information, "Upload of job {JobId}'s checkpoint at step {Step} left by an earlier run ended: {Outcome}", EventName = "RecoveredUpload")]
    private static partial void LogRecoveredUpload(ILogger logger, string jobId, long step, string outcome);
}
