using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>Submits a job into an existing session.</summary>
    public Task<Job> SubmitJobAsync(string sessionId, JobSpec spec, CancellationToken cancellationToken)
    {
        RequireId(sessionId, "session_id");
        var validated = ValidateSpec(spec);
        return RunAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            RecordActivity(sessionId);
            if (session.IsEnded)
            {
                throw new GridException(GridError.FailedPrecondition, $"session {sessionId} has ended ({session.State}); create a new session");
            }

            if (session.Batch)
            {
                throw new GridException(GridError.FailedPrecondition, $"session {sessionId} belongs to a batch job; submit into an interactive session");
            }

            return NewJob(tx, session, validated);
        }, cancellationToken);
    }

    /// <summary>Submits a batch job in a session of its own, which ends when the job does.</summary>
    public Task<Job> SubmitBatchJobAsync(ResourceRequest resources, int priority, JobSpec spec, CancellationToken cancellationToken, string owner = DefaultOwner)
    {
        ValidateSession(resources, priority, "", "batch.");
        var validated = ValidateSpec(spec);
        return RunAsync(async tx =>
        {
            var session = await NewSessionAsync(tx, resources, priority, validated.DisplayName, batch: true, _options.DefaultIdleTimeout, _options.DefaultMaxLifetime, owner);
            return NewJob(tx, session, validated);
        }, cancellationToken);
    }

    public Task<Job> GetJobAsync(string jobId, CancellationToken cancellationToken) =>
        RunReadAsync(tx => tx.GetJobAsync(RequireId(jobId, "job_id")), cancellationToken);

    /// <summary>Jobs, newest first, of one session or of all.</summary>
    public Task<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken) =>
        RunReadAsync<IReadOnlyList<Job>>(async tx =>
        {
            if (!string.IsNullOrEmpty(sessionId))
            {
                await tx.GetSessionAsync(RequireId(sessionId, "session_id"));
            }

            return (await tx.ListJobsAsync(string.IsNullOrEmpty(sessionId) ? null : sessionId))
                .OrderByDescending(j => j.CreatedAt)
                .ThenBy(j => j.Id, StringComparer.Ordinal)
                .ToList();
        }, cancellationToken);

    /// <summary>Cancels a queued or running job; a running job's process is stopped. Finished jobs are returned unchanged.</summary>
    public Task<Job> CancelJobAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        RequireId(jobId, "job_id");
        return RunAsync(async tx =>
        {
            var job = await tx.GetJobAsync(jobId);
            if (job.IsFinished)
            {
                return job;
            }

            var session = await tx.GetSessionAsync(job.SessionId);
            var cancelled = FinishJob(tx, session, job, JobResult.Cancelled(reason));
            await AfterJobAsync(tx, session, cancelled);
            return cancelled;
        }, cancellationToken);
    }

    /// <summary>A job's events after <paramref name="afterSequence"/>, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await GetJobAsync(jobId, cancellationToken);
        return await _store.ReadJobEventsAsync(jobId, afterSequence, limit, cancellationToken);
    }

    private static JobSpec ValidateSpec(JobSpec spec)
    {
        var result = JobSpecValidator.Validate(spec);
        return result.Value ?? throw GridException.Invalid(result.Errors);
    }

    private Job NewJob(GridTransaction tx, Session session, JobSpec spec)
    {
        var job = new Job { Id = _ids.NewId("job"), SessionId = session.Id, Spec = spec, CreatedAt = tx.Now };
        return tx.AppendEvent(job, new JobStateChanged(JobState.Queued, $"queued in {session.Id}"));
    }

    /// <summary>Moves a job to a final state; a cancelled job that runs on <paramref name="session"/>'s agent is stopped there.</summary>
    private Job FinishJob(GridTransaction tx, Session session, Job job, JobResult result)
    {
        if (job.State == JobState.Running && result.State == JobState.Cancelled && session.AgentId is { } agentId)
        {
            tx.Send(agentId, new CancelJob(job.Id, result.Reason));
        }

        var finished = job.Finish(result, tx.Now);
        Log.JobFinished(_logger, job.Id, result.State, result.Reason);
        return tx.AppendEvent(finished, new JobStateChanged(result.State, result.Reason));
    }

    /// <summary>After a job leaves the running state: a batch session ends with it, an interactive one is ready again.</summary>
    private async ValueTask AfterJobAsync(GridTransaction tx, Session session, Job job)
    {
        session = await tx.GetSessionAsync(session.Id);
        if (session.IsEnded)
        {
            return;
        }

        if (session.Batch && job.IsFinished)
        {
            await EndSessionAsync(tx, session, SessionState.Terminated, $"batch job {job.Id} {job.State.ToString().ToLowerInvariant()}");
        }
        else if (session.State == SessionState.Busy)
        {
            // A job finishing restarts the idle clock: its user has just been given something to look at.
            tx.Put(session.MarkReady($"job {job.Id} {job.State.ToString().ToLowerInvariant()}", tx.Now) with { LastActivityAt = tx.Now }, session);
        }
    }
}
