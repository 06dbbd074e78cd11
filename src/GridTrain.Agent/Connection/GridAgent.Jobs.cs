using GridTrain.Agent.Jobs;
using GridTrain.Checkpoints.Drive;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Jobs;
using GridTrain.Protos.V1;
using JobResult = GridTrain.Domain.Jobs.JobResult;
using JobSpec = GridTrain.Domain.Jobs.JobSpec;
using JobState = GridTrain.Domain.Jobs.JobState;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
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
}
