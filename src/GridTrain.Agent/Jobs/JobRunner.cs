using System.Collections.Concurrent;
using GridTrain.Agent.Checkpoints;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Agent.Leases;
using GridTrain.Agent.Reporting;
using GridTrain.Agent.Threading;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Jobs;

/// <summary>
/// Runs the job attempts the controller starts here, one process each, never two attempts of a job side by side. Every
/// task it starts (downloads before a start, the wait for a predecessor to exit, event pumps, reports, stops) runs in
/// the agent's <see cref="TaskGroup"/>, under its one shutdown token.
/// </summary>
internal sealed partial class JobRunner(
    IOptions<AgentOptions> options,
    IJobLauncher launcher,
    JobStorage storage,
    LeaseTable leases,
    AttemptReporter reporter,
    ResultReporter results,
    HeartbeatTrigger heartbeat,
    TaskGroup tasks,
    ILogger<JobRunner> logger)
{
    private readonly AgentOptions _options = options.Value;
    private readonly ConcurrentDictionary<string, JobAttempt> _attempts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingAttempt> _pending = new(StringComparer.Ordinal);

    /// <summary>The attempts whose processes run now.</summary>
    public IReadOnlyCollection<JobAttempt> Attempts => [.. _attempts.Values];

    /// <summary>
    /// The attempts running now, as the controller hears of them: with those accepted and still waiting to start
    /// (downloads, a predecessor's exit), each job once under its newest lease, so a reconnect does not take an attempt
    /// being prepared here for one lost.
    /// </summary>
    public IReadOnlyList<RunningJobReport> Running()
    {
        var newest = _attempts.Values.ToDictionary(a => a.JobId, a => a.LeaseEpoch, StringComparer.Ordinal);
        foreach (var waiting in _pending.Values.Where(p => p.StopReason is null))
        {
            newest[waiting.Start.JobId] = Math.Max(waiting.Start.LeaseEpoch, newest.GetValueOrDefault(waiting.Start.JobId));
        }

        return [.. newest.Select(j => new RunningJobReport(j.Key, j.Value))];
    }

    /// <summary>Starts the attempt: at once, or after downloads or its predecessor's exit without holding up the caller.</summary>
    public void Start(StartJob start)
    {
        if (JobPaths.Check(start.JobId) is { } unsafePath)
        {
            Report(start.JobId, start.LeaseEpoch, Refused(unsafePath));
            return;
        }

        if (ReadPaths.Check(start.Spec, start.ReadRoots) is { } outside)
        {
            Report(start.JobId, start.LeaseEpoch, Refused(outside));
            return;
        }

        if (_pending.TryGetValue(start.JobId, out var accepted) && !Supersedes(start, accepted.Start))
        {
            return; // Already accepted: a catch-up after a reconnect sends the start again.
        }

        if (_attempts.TryGetValue(start.JobId, out var existing))
        {
            if (!Supersedes(start, existing.Start))
            {
                return;
            }

            // An earlier attempt is still winding down here (a quick resume after an eviction or drain, or a retry
            // after its process died, whose result is still being reported): stop it and start this one once it is
            // gone, so two attempts never run side by side.
            Stop(start.JobId, start.LeaseEpoch > existing.LeaseEpoch ? $"superseded by lease epoch {start.LeaseEpoch}" : $"superseded by attempt {start.Attempt}");
            var waiting = new PendingAttempt(start);
            _pending[start.JobId] = waiting;
            tasks.Run($"start of job {start.JobId} after its previous attempt", ct => StartAfterAsync(existing, waiting, ct));
            return;
        }

        leases.HoldForJob(start);

        // Each attempt owns its directory: a process of an earlier attempt that is still being stopped never shares files with this one.
        // Absolute and normalized: checkpoint paths built from it are reported to the controller, which accepts only such paths.
        var workDirectory = Path.GetFullPath(Path.Combine(_options.WorkDirectory, "jobs", start.JobId, $"attempt-{start.Attempt}"));
        Directory.CreateDirectory(workDirectory);
        if (storage.NeedsPreparation(start.ResumeFrom, start.Spec))
        {
            // Downloads (a stored checkpoint, a Drive dataset) must not hold up the command stream; a cancel or release
            // that arrives meanwhile is kept for when they are done.
            var preparing = new PendingAttempt(start);
            _pending[start.JobId] = preparing;
            tasks.Run($"preparation of job {start.JobId}", ct => PrepareThenLaunchAsync(preparing, workDirectory, ct));
            return;
        }

        Launch(start, start.Spec, workDirectory, start.ResumeFrom is { } path ? new ResumePoint(path, path) : null);
    }

    /// <summary>Refuses a job the link could not read; one whose id is also unsafe is refused for that, with a result report.</summary>
    /// <exception cref="InvalidDataException">The job's id is safe: the command itself is at fault (logged by the caller).</exception>
    public void Refuse(UnreadableJobStart start)
    {
        if (JobPaths.Check(start.JobId) is not { } unsafePath)
        {
            throw new InvalidDataException($"job {start.JobId}: {start.Problem}");
        }

        Report(start.JobId, start.LeaseEpoch, Refused(unsafePath));
    }

    /// <summary>Stops the job's latest attempt, even one still waiting to start.</summary>
    public void Cancel(string jobId, string reason)
    {
        StopPending(p => p.Start.JobId == jobId, reason);
        Stop(jobId, reason);
    }

    /// <summary>
    /// Stops the job's process, in the background, if it runs under <paramref name="upToEpoch"/> or an earlier lease;
    /// an attempt of such a lease still waiting to start does not start.
    /// </summary>
    public void Stop(string jobId, string reason, long upToEpoch = long.MaxValue)
    {
        StopPending(p => p.Start.JobId == jobId && p.Start.LeaseEpoch <= upToEpoch, reason);
        if (_attempts.TryGetValue(jobId, out var job) && job.LeaseEpoch <= upToEpoch)
        {
            LogStoppingJob(logger, jobId, reason);
            tasks.Run($"stop of job {jobId}", _ => job.Process.StopAsync(reason, _options.StopGracePeriod));
        }
    }

    /// <summary>Stops the session's attempts still waiting to start (a release is about the session's latest lease).</summary>
    public void CancelPendingOfSession(string sessionId, string reason) => StopPending(p => p.Start.SessionId == sessionId, reason);

    /// <summary>Stops the session's processes running under <paramref name="upToEpoch"/> or an earlier lease; completes once they have exited.</summary>
    public Task StopSessionAsync(string sessionId, long upToEpoch, string reason) =>
        Task.WhenAll(_attempts.Values.Where(j => j.SessionId == sessionId && j.LeaseEpoch <= upToEpoch).Select(j => j.Process.StopAsync(reason, _options.StopGracePeriod)));

    /// <summary>Stops every process (killing those that outlast the stop grace); completes once all have exited.</summary>
    public Task StopAllAsync(string reason) => Task.WhenAll(_attempts.Values.Select(j => j.Process.StopAsync(reason, _options.StopGracePeriod)));

    /// <summary>Kills every process at once.</summary>
    public void KillAll()
    {
        foreach (var job in _attempts.Values)
        {
            job.Process.Kill();
        }
    }

    private async Task PrepareThenLaunchAsync(PendingAttempt preparing, string workDirectory, CancellationToken shutdown)
    {
        var start = preparing.Start;
        ResumePoint? resumeFrom;
        JobSpec spec;
        try
        {
            resumeFrom = await storage.ResolveResumeAsync(start.JobId, start.ResumeFrom, Path.Combine(workDirectory, "resume"), shutdown);
            spec = await storage.ResolveDataAsync(start.Spec, shutdown);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _pending.TryRemove(new KeyValuePair<string, PendingAttempt>(start.JobId, preparing));
            LogJobStartFailed(logger, start.JobId, ex);
            var failed = new JobResult { State = JobState.Failed, Reason = $"agent {_options.Name} could not prepare the job: {ex.Message}", Retryable = PreparationFailure.IsRetryable(ex) };
            await results.ReportAsync(start.JobId, start.LeaseEpoch, failed, shutdown);
            return;
        }

        if (!_pending.TryRemove(new KeyValuePair<string, PendingAttempt>(start.JobId, preparing)))
        {
            return; // A newer attempt took its place.
        }

        if (preparing.StopReason is { } reason)
        {
            await results.ReportAsync(start.JobId, start.LeaseEpoch, StoppedBeforeStart(reason), shutdown);
            return;
        }

        Launch(start, spec, workDirectory, resumeFrom);
    }

    private void Launch(StartJob start, JobSpec spec, string workDirectory, ResumePoint? resumeFrom)
    {
        var request = new WorkerRequest
        {
            JobId = start.JobId,
            Attempt = start.Attempt,
            Spec = spec,
            WorkDirectory = workDirectory,
            ResumeFrom = resumeFrom?.Path,
            Threads = _options.ResolveThreads(start.Spec.Threads),
            PruneCheckpoints = false,
            BackgroundCheckpointWrites = true,
        };

        IJobProcess process;
        try
        {
            process = launcher.Start(new JobLaunch(request, start.GpuIndexes, Path.Combine(workDirectory, "request.json"), start.SessionId));
        }
        catch (JobLaunchException ex)
        {
            LogJobStartFailed(logger, start.JobId, ex);
            Report(start.JobId, start.LeaseEpoch, new JobResult { State = JobState.Failed, Reason = ex.UserError ? ex.Message : $"agent {_options.Name} could not start the job process: {ex.Message}", Retryable = !ex.UserError });
            return;
        }

        LogJobStarted(logger, start.JobId, start.Attempt, process.ProcessId, request.Threads);
        var keepLast = JobSpecValidator.Validate(spec).Value?.Checkpoint.KeepLast ?? new CheckpointPolicy().KeepLast;
        var job = new JobAttempt(start, process, new CommittedCheckpoints(keepLast));
        if (resumeFrom is { } resumed && resumed.Path != resumed.Uri)
        {
            // A job resumed at its end writes no checkpoint and reports the fetched copy: its result names the stored one.
            job.Stored[resumed.Path] = resumed.Uri;
        }

        _attempts[start.JobId] = job;
        tasks.Run($"events of job {start.JobId}", ct => reporter.PumpEventsAsync(job, ct));
        job.Reporting = tasks.Start($"reports of job {start.JobId}", ct => ReportThenForgetAsync(job, ct));
    }

    private async Task ReportThenForgetAsync(JobAttempt job, CancellationToken shutdown)
    {
        try
        {
            await reporter.ReportAsync(job, shutdown);
        }
        finally
        {
            _attempts.TryRemove(new KeyValuePair<string, JobAttempt>(job.JobId, job));
            job.Process.Dispose();
            heartbeat.Pull();
        }
    }

    private async Task StartAfterAsync(JobAttempt previous, PendingAttempt waiting, CancellationToken shutdown)
    {
        await previous.Reporting.WaitAsync(shutdown);
        var start = waiting.Start;
        if (!_pending.TryRemove(new KeyValuePair<string, PendingAttempt>(start.JobId, waiting)))
        {
            return; // A newer attempt took its place.
        }

        if (waiting.StopReason is { } reason)
        {
            await results.ReportAsync(start.JobId, start.LeaseEpoch, StoppedBeforeStart(reason), shutdown);
            return;
        }

        Start(start);
    }

    /// <summary>
    /// Whether <paramref name="start"/> comes after <paramref name="held"/>: a newer lease, or a later attempt under the
    /// same lease (a retry on the same session keeps its epoch).
    /// </summary>
    private static bool Supersedes(StartJob start, StartJob held) =>
        start.LeaseEpoch > held.LeaseEpoch || (start.LeaseEpoch == held.LeaseEpoch && start.Attempt > held.Attempt);

    private void StopPending(Func<PendingAttempt, bool> which, string reason)
    {
        foreach (var waiting in _pending.Values.Where(which))
        {
            waiting.Stop(reason);
        }
    }

    private void Report(string jobId, long leaseEpoch, JobResult result) =>
        tasks.Run($"result of job {jobId}", ct => results.ReportAsync(jobId, leaseEpoch, result, ct));

    private JobResult Refused(string problem) => new() { State = JobState.Failed, Reason = $"agent {_options.Name} refused the job: {problem}" };

    /// <summary>Stopped (an eviction, a cancel) before its process existed: say so, so the controller need not wait out a grace period.</summary>
    private static JobResult StoppedBeforeStart(string reason) => new() { State = JobState.Cancelled, Reason = $"{reason} (before its process started)" };
}
