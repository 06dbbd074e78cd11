using GridTrain.Agent.Jobs;
using GridTrain.Checkpoints.Stores;
using GridTrain.Checkpoints.Uploads;
using GridTrain.Domain.Jobs;
using CheckpointWritten = GridTrain.Domain.Jobs.CheckpointWritten;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
    private async Task UploadAsync(RunningJob job, CheckpointUploader uploader, CheckpointWritten written, double? metric)
    {
        try
        {
            var uri = await uploader.EnqueueAsync(new SpooledCheckpoint(job.JobId, job.LeaseEpoch, job.Attempt, written.Step, written.Uri, metric));
            job.Stored[written.Uri] = uri;
            job.Outgoing.Writer.TryWrite(new Outgoing(new CheckpointWritten(written.Step, uri), written.Uri));
        }
        catch (OperationCanceledException)
        {
            // The agent is stopping; the upload resumes when it starts again.
        }
        catch (Exception ex)
        {
            var reason = $"checkpoint at step {written.Step} was not stored in {_storage.Store.Kind}: {ex.Message}; training continues and the checkpoint stays on agent {_options.Name}";
            job.Outgoing.Writer.TryWrite(new Outgoing(new LogWritten("agent", reason), null));
            job.Outgoing.Writer.TryWrite(new Outgoing(written, written.Uri));
        }
        finally
        {
            job.EndPending();
        }
    }

    private void PruneCommitted(RunningJob job, List<(Protos.V1.JobEvent Event, string? LocalPath)> committed)
    {
        var checkpoints = committed
            .Where(e => e.Event.KindCase == Protos.V1.JobEvent.KindOneofCase.Checkpoint)
            .Select(e => e.LocalPath ?? e.Event.Checkpoint.Uri)
            .ToList();
        foreach (var expired in job.Checkpoints.Commit(checkpoints))
        {
            try
            {
                CommittedCheckpoints.Delete(expired);
            }
            catch (IOException ex)
            {
                Log.PruneFailed(_logger, job.JobId, expired, ex);
            }
        }

        if (checkpoints.Count > 0 && _storage.Store.IsRemote)
        {
            _ = ApplyRetentionAsync(job);
        }
    }

    /// <summary>Deletes stored checkpoints beyond the job's keep_last (and the best one) once newer ones are committed.</summary>
    private async Task ApplyRetentionAsync(RunningJob job)
    {
        await job.Retention.WaitAsync();
        try
        {
            var deleted = await _storage.Store.ApplyRetentionAsync(job.JobId, new RetentionPolicy(job.Checkpoints.KeepLast, _options.KeepBestCheckpoint), CancellationToken.None);
            if (deleted > 0)
            {
                Log.RetentionApplied(_logger, job.JobId, deleted);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RetentionFailed(_logger, job.JobId, ex.Message);
        }
        finally
        {
            job.Retention.Release();
        }
    }

    private void DiscardStale(RunningJob job, List<(Protos.V1.JobEvent Event, string? LocalPath)> refused)
    {
        foreach (var (message, localPath) in refused)
        {
            if (message.KindCase == Protos.V1.JobEvent.KindOneofCase.Checkpoint && localPath is not null && _storage.Store.Owns(message.Checkpoint.Uri) && _storage.Store.IsRemote)
            {
                _ = DeleteStaleAsync(job.JobId, message.Checkpoint.Uri);
            }
        }
    }

    private async Task DeleteStaleAsync(string jobId, string uri)
    {
        try
        {
            await _storage.Store.DeleteAsync(uri, CancellationToken.None);
            Log.StaleCheckpointDeleted(_logger, jobId, uri);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RetentionFailed(_logger, jobId, ex.Message);
        }
    }

    /// <summary>Continues the uploads an earlier run of this agent left; their jobs' processes are gone, so they are only stored.</summary>
    private void ResumeUploads()
    {
        if (_storage.Uploader is not { } uploader)
        {
            return;
        }

        foreach (var (checkpoint, stored) in uploader.Recover())
        {
            _ = stored.ContinueWith(
                t => Log.RecoveredUpload(_logger, checkpoint.JobId, checkpoint.Step, t.IsCompletedSuccessfully ? t.Result : t.Exception?.GetBaseException().Message ?? "cancelled"),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
