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

    private Task StartJobAsync(StartJob start)
    {
        if (_jobs.TryGetValue(start.JobId, out var existing))
        {
            if (existing.LeaseEpoch >= start.LeaseEpoch)
            {
                return Task.CompletedTask;
            }

            StopJob(start.JobId, $"superseded by lease epoch {start.LeaseEpoch}");
            return Task.CompletedTask;
        }

        _sessions.TryAdd(start.SessionId, new HeldSession(start.SessionId, start.LeaseEpoch, [.. start.GpuIndexes]));
        var workDirectory = Path.Combine(_options.WorkDirectory, "jobs", start.JobId);
        Directory.CreateDirectory(workDirectory);
        var request = new WorkerRequest
        {
            JobId = start.JobId,
            Attempt = start.Attempt,
            Spec = start.Spec.ToDomain(),
            WorkDirectory = workDirectory,
            ResumeFrom = string.IsNullOrEmpty(start.ResumeFrom) ? null : start.ResumeFrom,
            Threads = _options.ResolveThreads(start.Spec.Threads),
        };

        JobProcess process;
        try
        {
            process = JobProcess.Start(request, [.. start.GpuIndexes], _workerPath, Path.Combine(workDirectory, $"attempt-{start.Attempt}", "request.json"));
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            Log.JobStartFailed(_logger, start.JobId, ex);
            var failed = new JobResult { State = JobState.Failed, Reason = $"agent {_options.Name} could not start the job process: {ex.Message}", Retryable = true };
            return ReportResultAsync(start.JobId, start.LeaseEpoch, failed);
        }

        Log.JobStarted(_logger, start.JobId, start.Attempt, process.ProcessId, request.Threads);
        var job = new RunningJob(start.JobId, start.SessionId, start.LeaseEpoch, process);
        _jobs[start.JobId] = job;
        job.Reporting = ReportAsync(job);
        return Task.CompletedTask;
    }

    /// <summary>Forwards the job's events as they come, then its result; retries through controller outages.</summary>
    private async Task ReportAsync(RunningJob job)
    {
        long sequence = 0;
        var pending = new List<Protos.V1.JobEvent>();
        var stale = false;
        try
        {
            while (await job.Process.Events.WaitToReadAsync())
            {
                while (pending.Count < MaxEventsPerReport && job.Process.Events.TryRead(out var data))
                {
                    if (data is TrainingFinished or TrainingFailed)
                    {
                        continue;
                    }

                    var message = data.ToProtoEvent();
                    message.Sequence = ++sequence;
                    pending.Add(message);
                }

                if (!stale && pending.Count > 0)
                {
                    stale = !await SendEventsAsync(job, pending);
                    if (stale)
                    {
                        job.Process.Kill();
                    }
                }

                pending.Clear();
            }

            var exit = await job.Process.Exited;
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

    /// <summary>Sends events; false when the controller refused them because the lease is stale.</summary>
    private async Task<bool> SendEventsAsync(RunningJob job, List<Protos.V1.JobEvent> events)
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
            return true;
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            Log.ReportRefused(_logger, job.JobId, ex.Status.Detail);
            return ex.StatusCode != StatusCode.FailedPrecondition;
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

    private sealed class RunningJob(string jobId, string sessionId, long leaseEpoch, JobProcess process)
    {
        public string JobId { get; } = jobId;

        public string SessionId { get; } = sessionId;

        public long LeaseEpoch { get; } = leaseEpoch;

        public JobProcess Process { get; } = process;

        public Task Reporting { get; set; } = Task.CompletedTask;
    }
}
