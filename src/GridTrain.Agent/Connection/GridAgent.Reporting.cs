using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.Jobs;
using GridTrain.Protos.V1;
using CheckpointWritten = GridTrain.Domain.Jobs.CheckpointWritten;
using EpochEvaluated = GridTrain.Domain.Jobs.EpochEvaluated;
using JobResult = GridTrain.Domain.Jobs.JobResult;

namespace GridTrain.Agent.Connection;

public sealed partial class GridAgent
{
    private const int MaxEventsPerReport = 500;

    // TensorBoard chunks carry up to 256 KiB each: a report stays well under gRPC's 4 MiB message limit.
    private const int MaxBytesPerReport = 1024 * 1024;

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
}
