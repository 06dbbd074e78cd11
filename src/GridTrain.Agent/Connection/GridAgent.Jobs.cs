using Grpc.Core;
using GridTrain.Agent.Jobs;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Jobs;
using GridTrain.Protos.V1;
using JobResult = GridTrain.Domain.Jobs.JobResult;
using JobState = GridTrain.Domain.Jobs.JobState;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
    private const int MaxEventsPerReport = 500;

    // TensorBoard chunks carry up to 256 KiB each: a report stays well under gRPC's 4 MiB message limit.
    private const int MaxBytesPerReport = 1024 * 1024;

    private Task StartJobAsync(StartJob start)
    {
        if (_jobs.TryGetValue(start.JobId, out var existing))
        {
            if (existing.LeaseEpoch >= start.LeaseEpoch)
            {
                return Task.CompletedTask;
            }

            // An earlier attempt is still winding down here (a quick resume after an eviction or drain): stop it and
            // start this one once it is gone, so two attempts never run side by side.
            StopJob(start.JobId, $"superseded by lease epoch {start.LeaseEpoch}");
            _ = StartAfterAsync(existing, start);
            return Task.CompletedTask;
        }

        _sessions.TryAdd(start.SessionId, new HeldSession(start.SessionId, start.LeaseEpoch, [.. start.GpuIndexes]));

        // Each attempt owns its directory: a process of an earlier attempt that is still being stopped never shares files with this one.
        var workDirectory = Path.Combine(_options.WorkDirectory, "jobs", start.JobId, $"attempt-{start.Attempt}");
        Directory.CreateDirectory(workDirectory);
        var spec = start.Spec.ToDomain();
        var request = new WorkerRequest
        {
            JobId = start.JobId,
            Attempt = start.Attempt,
            Spec = spec,
            WorkDirectory = workDirectory,
            ResumeFrom = string.IsNullOrEmpty(start.ResumeFrom) ? null : start.ResumeFrom,
            Threads = _options.ResolveThreads(start.Spec.Threads),
            PruneCheckpoints = false,
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
        var keepLast = JobSpecValidator.Validate(spec).Value?.Checkpoint.KeepLast ?? new GridTrain.Domain.Jobs.CheckpointPolicy().KeepLast;
        var job = new RunningJob(start.JobId, start.SessionId, start.LeaseEpoch, process, new CommittedCheckpoints(keepLast));
        _jobs[start.JobId] = job;
        job.Reporting = ReportAsync(job);
        return Task.CompletedTask;
    }

    private async Task StartAfterAsync(RunningJob previous, StartJob start)
    {
        await previous.Reporting;
        try
        {
            await StartJobAsync(start);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.CommandFailed(_logger, "StartJob", ex);
        }
    }

    /// <summary>Forwards the job's events as they come, then its result; retries through controller outages.</summary>
    private async Task ReportAsync(RunningJob job)
    {
        long sequence = 0;
        var pending = new List<Protos.V1.JobEvent>();
        var pendingBytes = 0;
        var stale = false;
        try
        {
            while (await job.Process.Events.WaitToReadAsync())
            {
                while (pending.Count < MaxEventsPerReport && pendingBytes < MaxBytesPerReport && job.Process.Events.TryRead(out var data))
                {
                    if (data is TrainingFinished or TrainingFailed)
                    {
                        continue;
                    }

                    var message = data.ToProtoEvent();
                    message.Sequence = ++sequence;
                    pending.Add(message);
                    pendingBytes += message.CalculateSize();
                }

                if (!stale && pending.Count > 0)
                {
                    // Events refused for the lease mean it is gone: stop the process, and never prune for it.
                    var outcome = await SendEventsAsync(job, pending);
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

                pending.Clear();
                pendingBytes = 0;
            }

            var exit = await job.Process.Exited;
            Log.JobProcessExited(_logger, job.JobId, exit.ExitCode);
            if (!stale)
            {
                await ReportResultAsync(job.JobId, job.LeaseEpoch, exit.ToResult());
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

    private void PruneCommitted(RunningJob job, List<Protos.V1.JobEvent> committed)
    {
        var checkpoints = committed.Where(e => e.KindCase == Protos.V1.JobEvent.KindOneofCase.Checkpoint).Select(e => e.Checkpoint.Uri);
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

    private sealed class RunningJob(string jobId, string sessionId, long leaseEpoch, JobProcess process, CommittedCheckpoints checkpoints)
    {
        public CommittedCheckpoints Checkpoints { get; } = checkpoints;

        public string JobId { get; } = jobId;

        public string SessionId { get; } = sessionId;

        public long LeaseEpoch { get; } = leaseEpoch;

        public JobProcess Process { get; } = process;

        public Task Reporting { get; set; } = Task.CompletedTask;
    }
}
