using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using GridTrain.Agent.Jobs;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Checkpoints.Uploads;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Jobs;
using GridTrain.Protos.V1;
using CheckpointWritten = GridTrain.Domain.Jobs.CheckpointWritten;
using EpochEvaluated = GridTrain.Domain.Jobs.EpochEvaluated;
using JobResult = GridTrain.Domain.Jobs.JobResult;
using JobSpec = GridTrain.Domain.Jobs.JobSpec;
using JobState = GridTrain.Domain.Jobs.JobState;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
    private const int MaxEventsPerReport = 500;

    // TensorBoard chunks carry up to 256 KiB each: a report stays well under gRPC's 4 MiB message limit.
    private const int MaxBytesPerReport = 1024 * 1024;

    private Task StartJobAsync(StartJob start)
    {
        if (JobPaths.Check(start.JobId) is { } unsafePath)
        {
            return ReportResultAsync(start.JobId, start.LeaseEpoch, new JobResult { State = JobState.Failed, Reason = $"agent {_options.Name} refused the job: {unsafePath}" });
        }

        if (_jobs.TryGetValue(start.JobId, out var existing))
        {
            if (existing.LeaseEpoch >= start.LeaseEpoch)
            {
                return Task.CompletedTask;
            }

            // An earlier attempt is still winding down here (a quick resume after an eviction or drain): stop it and
            // start this one once it is gone, so two attempts never run side by side.
            StopJob(start.JobId, $"superseded by lease epoch {start.LeaseEpoch}");
            var waiting = new PendingStart(start);
            _pendingStarts[start.JobId] = waiting;
            _ = StartAfterAsync(existing, waiting);
            return Task.CompletedTask;
        }

        _sessions.TryAdd(start.SessionId, new HeldSession(start.SessionId, start.LeaseEpoch, [.. start.GpuIndexes]));

        // Each attempt owns its directory: a process of an earlier attempt that is still being stopped never shares files with this one.
        // Absolute and normalized: checkpoint paths built from it are reported to the controller, which accepts only such paths.
        var workDirectory = Path.GetFullPath(Path.Combine(_options.WorkDirectory, "jobs", start.JobId, $"attempt-{start.Attempt}"));
        Directory.CreateDirectory(workDirectory);
        var spec = start.Spec.ToDomain();
        var resumeFrom = string.IsNullOrEmpty(start.ResumeFrom) ? null : start.ResumeFrom;
        if (_storage.NeedsPreparation(resumeFrom, spec))
        {
            // Downloads (a stored checkpoint, a Drive dataset) must not hold up the command stream; a cancel or release
            // that arrives meanwhile is kept for when they are done.
            var preparing = new PendingStart(start);
            _pendingStarts[start.JobId] = preparing;
            _ = PrepareThenLaunchAsync(preparing, spec, workDirectory, resumeFrom);
            return Task.CompletedTask;
        }

        return LaunchAsync(start, spec, workDirectory, resumeFrom);
    }

    private async Task PrepareThenLaunchAsync(PendingStart preparing, JobSpec spec, string workDirectory, string? resumeFrom)
    {
        var start = preparing.Start;
        try
        {
            resumeFrom = await _storage.ResolveResumeAsync(start.JobId, resumeFrom, Path.Combine(workDirectory, "resume"), CancellationToken.None);
            spec = await _storage.ResolveDataAsync(spec, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _pendingStarts.TryRemove(new KeyValuePair<string, PendingStart>(start.JobId, preparing));
            Log.JobStartFailed(_logger, start.JobId, ex);
            var transient = DriveErrors.IsTransient(ex);
            var failed = new JobResult { State = JobState.Failed, Reason = $"agent {_options.Name} could not prepare the job: {ex.Message}", Retryable = transient };
            await ReportResultAsync(start.JobId, start.LeaseEpoch, failed);
            return;
        }

        if (!_pendingStarts.TryRemove(new KeyValuePair<string, PendingStart>(start.JobId, preparing)))
        {
            return; // A newer attempt took its place.
        }

        if (preparing.StopReason is { } reason)
        {
            await ReportStoppedBeforeStartAsync(start, reason);
            return;
        }

        await LaunchAsync(start, spec, workDirectory, resumeFrom);
    }

    private Task LaunchAsync(StartJob start, JobSpec spec, string workDirectory, string? resumeFrom)
    {
        var request = new WorkerRequest
        {
            JobId = start.JobId,
            Attempt = start.Attempt,
            Spec = spec,
            WorkDirectory = workDirectory,
            ResumeFrom = resumeFrom,
            Threads = _options.ResolveThreads(start.Spec.Threads),
            PruneCheckpoints = false,
            BackgroundCheckpointWrites = true,
        };

        JobProcess process;
        try
        {
            process = JobProcess.Start(request, [.. start.GpuIndexes], _workerPath, Path.Combine(workDirectory, "request.json"));
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            Log.JobStartFailed(_logger, start.JobId, ex);
            var failed = new JobResult { State = JobState.Failed, Reason = $"agent {_options.Name} could not start the job process: {ex.Message}", Retryable = true };
            return ReportResultAsync(start.JobId, start.LeaseEpoch, failed);
        }

        Log.JobStarted(_logger, start.JobId, start.Attempt, process.ProcessId, request.Threads);
        var validated = JobSpecValidator.Validate(spec).Value;
        var keepLast = validated?.Checkpoint.KeepLast ?? new GridTrain.Domain.Jobs.CheckpointPolicy().KeepLast;
        var job = new RunningJob(start.JobId, start.SessionId, start.LeaseEpoch, start.Attempt, process, new CommittedCheckpoints(keepLast));
        _jobs[start.JobId] = job;
        _ = PumpEventsAsync(job);
        job.Reporting = ReportAsync(job);
        return Task.CompletedTask;
    }

    private async Task StartAfterAsync(RunningJob previous, PendingStart waiting)
    {
        await previous.Reporting;
        var start = waiting.Start;
        if (!_pendingStarts.TryRemove(new KeyValuePair<string, PendingStart>(start.JobId, waiting)))
        {
            return; // A newer attempt took its place.
        }

        try
        {
            if (waiting.StopReason is { } reason)
            {
                await ReportStoppedBeforeStartAsync(start, reason);
                return;
            }

            await StartJobAsync(start);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.CommandFailed(_logger, "StartJob", ex);
        }
    }

    /// <summary>Stopped (an eviction, a cancel) before its process existed: say so, so the controller need not wait out a grace period.</summary>
    private Task ReportStoppedBeforeStartAsync(StartJob start, string reason) =>
        ReportResultAsync(start.JobId, start.LeaseEpoch, new JobResult { State = JobState.Cancelled, Reason = $"{reason} (before its process started)" });

    /// <summary>
    /// Moves the process's events to the job's outgoing queue. With a remote store a checkpoint is not reported as
    /// written to the spool: it is uploaded in the background and reported once stored and verified (or, when the
    /// store refuses it for good, reported as the local file with the reason in the job's log).
    /// </summary>
    private async Task PumpEventsAsync(RunningJob job)
    {
        double? metric = null;
        try
        {
            await foreach (var data in job.Process.Events.ReadAllAsync())
            {
                switch (data)
                {
                    case EpochEvaluated evaluated:
                        metric = evaluated.TestAccuracy;
                        job.Outgoing.Writer.TryWrite(new Outgoing(data, null));
                        break;
                    case CheckpointWritten written when _storage.Uploader is { } uploader:
                        job.BeginUpload();
                        _ = UploadAsync(job, uploader, written, metric);
                        metric = null;
                        break;
                    default:
                        job.Outgoing.Writer.TryWrite(new Outgoing(data, null));
                        break;
                }
            }
        }
        finally
        {
            job.EndPending();
        }
    }

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

    /// <summary>Forwards the job's events as they come, then its result; retries through controller outages.</summary>
    private async Task ReportAsync(RunningJob job)
    {
        long sequence = 0;
        var pending = new List<(Protos.V1.JobEvent Event, string? LocalPath)>();
        var pendingBytes = 0;
        var stale = false;
        try
        {
            while (await job.Outgoing.Reader.WaitToReadAsync())
            {
                while (pending.Count < MaxEventsPerReport && pendingBytes < MaxBytesPerReport && job.Outgoing.Reader.TryRead(out var item))
                {
                    if (item.Data is TrainingFinished or TrainingFailed)
                    {
                        continue;
                    }

                    if (item.Data is ProgressReported progress)
                    {
                        job.LatestProgress = progress;
                    }

                    var message = item.Data.ToProtoEvent();
                    message.Sequence = ++sequence;
                    pending.Add((message, item.LocalPath));
                    pendingBytes += message.CalculateSize();
                }

                if (!stale && pending.Count > 0)
                {
                    // Events refused for the lease mean it is gone: stop the process, and never prune for it.
                    var outcome = await SendEventsAsync(job, [.. pending.Select(p => p.Event)]);
                    stale = outcome == ReportOutcome.Stale;
                    if (stale)
                    {
                        job.Process.Kill();
                    }
                    else if (outcome == ReportOutcome.Committed)
                    {
                        PruneCommitted(job, pending);
                    }
                }

                if (stale)
                {
                    // A stale writer's uploads never become anyone's checkpoint: take them off the store again.
                    DiscardStale(job, pending);
                }

                pending.Clear();
                pendingBytes = 0;
            }

            var exit = await job.Process.Exited;
            Log.JobProcessExited(_logger, job.JobId, exit.ExitCode);
            if (!stale)
            {
                var result = exit.ToResult();
                if (job.Stored.TryGetValue(result.CheckpointUri, out var stored))
                {
                    result = result with { CheckpointUri = stored };
                }

                await ReportResultAsync(job.JobId, job.LeaseEpoch, result);
            }
        }
        catch (OperationCanceledException)
        {
            // The agent is shutting down; the controller learns of the job from the next registration.
        }
        finally
        {
            _jobs.TryRemove(new KeyValuePair<string, RunningJob>(job.JobId, job));
            job.Process.Dispose();
            NudgeHeartbeat();
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

    /// <summary>
    /// Sends events: <see cref="ReportOutcome.Stale"/> when this agent no longer holds the job's lease (a stale epoch,
    /// or the agent was declared lost). Only <see cref="ReportOutcome.Committed"/> events count as committed.
    /// </summary>
    private async Task<ReportOutcome> SendEventsAsync(RunningJob job, List<Protos.V1.JobEvent> events)
    {
        var request = new ReportJobEventsRequest { JobId = job.JobId, LeaseEpoch = job.LeaseEpoch, Events = { events } };
        try
        {
            await _report.ExecuteAsync(
                async ct =>
                {
                    request.AgentId = _agentId ?? "";
                    await _client.ReportJobEventsAsync(request, deadline: Deadline(), cancellationToken: ct);
                },
                CancellationToken.None);
            return ReportOutcome.Committed;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            Log.ReportRefused(_logger, job.JobId, ex.Status.Detail);
            return ex.StatusCode == StatusCode.InvalidArgument ? ReportOutcome.Rejected : ReportOutcome.Stale;
        }
    }

    private async Task ReportResultAsync(string jobId, long leaseEpoch, JobResult result)
    {
        var request = new ReportJobResultRequest { JobId = jobId, LeaseEpoch = leaseEpoch, Result = result.ToProto() };
        try
        {
            await _report.ExecuteAsync(
                async ct =>
                {
                    request.AgentId = _agentId ?? "";
                    await _client.ReportJobResultAsync(request, deadline: Deadline(), cancellationToken: ct);
                },
                CancellationToken.None);
            Log.JobFinished(_logger, jobId, result.State, result.Reason);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            Log.ReportRefused(_logger, jobId, ex.Status.Detail);
        }
    }

    private enum ReportOutcome
    {
        Committed,
        Rejected,
        Stale,
    }

    private sealed record Outgoing(TrainingEvent Data, string? LocalPath);

    private sealed class RunningJob(string jobId, string sessionId, long leaseEpoch, int attempt, JobProcess process, CommittedCheckpoints checkpoints)
    {
        private int _pending = 1;

        public CommittedCheckpoints Checkpoints { get; } = checkpoints;

        public string JobId { get; } = jobId;

        public string SessionId { get; } = sessionId;

        public long LeaseEpoch { get; } = leaseEpoch;

        public int Attempt { get; } = attempt;

        public JobProcess Process { get; } = process;

        public Task Reporting { get; set; } = Task.CompletedTask;

        /// <summary>The newest progress the job process reported; null before its first report.</summary>
        public ProgressReported? LatestProgress { get; set; }

        /// <summary>Events to report: the process's, and checkpoints once stored. Completes when both are done.</summary>
        public Channel<Outgoing> Outgoing { get; } = Channel.CreateUnbounded<Outgoing>();

        /// <summary>Store URIs of uploaded checkpoints, by spool path.</summary>
        public ConcurrentDictionary<string, string> Stored { get; } = new(StringComparer.Ordinal);

        /// <summary>One retention pass at a time.</summary>
        public SemaphoreSlim Retention { get; } = new(1, 1);

        public void BeginUpload() => Interlocked.Increment(ref _pending);

        public void EndPending()
        {
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                Outgoing.Writer.TryComplete();
            }
        }
    }

    /// <summary>
    /// An attempt not started yet: waiting for the previous attempt's process to exit, or for its downloads. A stop
    /// that arrives meanwhile is remembered.
    /// </summary>
    private sealed class PendingStart(StartJob start)
    {
        private string? _stopReason;

        public StartJob Start { get; } = start;

        public string? StopReason => Volatile.Read(ref _stopReason);

        public void Stop(string reason) => Interlocked.CompareExchange(ref _stopReason, reason, null);
    }
}
