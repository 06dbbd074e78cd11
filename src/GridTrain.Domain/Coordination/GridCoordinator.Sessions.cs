using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Quotas;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

/// <summary>Sessions and the jobs in them, as users ask for them.</summary>
public sealed partial class GridCoordinator
{
    /// <summary>
    /// Creates a session and queues it for placement. Unset timeouts take the deployment defaults; set ones must lie
    /// within the admin bounds (<see cref="GridOptions.MaxIdleTimeout"/>, <see cref="GridOptions.MaxLifetime"/>).
    /// </summary>
    public Task<Session> CreateSessionAsync(ResourceRequest resources, int priority, string displayName, CancellationToken cancellationToken, TimeSpan? idleTimeout = null, TimeSpan? maxLifetime = null, string owner = DefaultOwner)
    {
        GridRequests.ValidateSession(resources, priority, displayName, "");
        var (idle, lifetime) = GridRequests.Timeouts(idleTimeout, maxLifetime, _options);
        return _runner.RunAsync(async tx => await NewSessionAsync(tx, resources, priority, displayName, batch: false, idle, lifetime, owner), cancellationToken);
    }

    /// <summary>Returns a session. Looking is not activity: this records none.</summary>
    public Task<Session> GetSessionAsync(string sessionId, CancellationToken cancellationToken) =>
        _runner.ReadAsync(tx => tx.GetSessionAsync(GridRequests.RequireId(sessionId, "session_id")), cancellationToken);

    /// <summary>Sessions, newest first; ended ones only with <paramref name="includeEnded"/>.</summary>
    public Task<IReadOnlyList<Session>> ListSessionsAsync(bool includeEnded, CancellationToken cancellationToken) =>
        _runner.ReadAsync<IReadOnlyList<Session>>(async tx => (await tx.ListSessionsAsync())
            .Where(s => includeEnded || !s.IsEnded)
            .OrderByDescending(s => s.CreatedAt)
            .ThenByDescending(s => s.QueueOrder)
            .ToList(), cancellationToken);

    /// <summary>Ends a session: cancels its jobs and frees its resources. Ending an ended session changes nothing.</summary>
    public Task<Session> TerminateSessionAsync(string sessionId, string reason, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(sessionId, "session_id");
        return _runner.RunAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            return session.IsEnded ? session : await EndSessionAsync(tx, session, SessionState.Terminated, reason);
        }, cancellationToken);
    }

    /// <summary>A session's changes after <paramref name="afterSequence"/>.</summary>
    /// <remarks>Watching a session is not activity on it: a forgotten watcher must not hold a GPU forever.</remarks>
    public async Task<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken)
    {
        await _runner.ReadAsync(tx => tx.GetSessionAsync(GridRequests.RequireId(sessionId, "session_id")), cancellationToken);
        return await _store.ReadSessionChangesAsync(sessionId, afterSequence, cancellationToken);
    }

    /// <summary>Marks activity and returns the session.</summary>
    public async Task<Session> KeepAliveAsync(string sessionId, CancellationToken cancellationToken)
    {
        var session = await GetSessionAsync(sessionId, cancellationToken);
        RecordActivity(session.Id, "keep-alive");
        return session;
    }

    /// <summary>Why the session is or is not idle and when it will be evicted.</summary>
    public Task<IdleExplanation> ExplainIdlenessAsync(string sessionId, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(sessionId, "session_id");
        return _runner.ReadAsync(async tx =>
        {
            var session = _evictions.WithDefaults(await tx.GetSessionAsync(sessionId));
            return _evictions.Explain(session, await tx.ListJobsAsync(session.Id), tx.Now);
        }, cancellationToken);
    }

    /// <summary>Brings an evicted or suspended session back into the queue; its interrupted job resumes from its latest checkpoint.</summary>
    public Task<Session> ResumeSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(sessionId, "session_id");
        return _runner.RunAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            if (!session.IsResumable)
            {
                throw new GridException(GridError.FailedPrecondition, $"session {sessionId} is {session.State.ToString().ToUpperInvariant()}; only an evicted or suspended session can be resumed");
            }

            RecordActivity(sessionId, "resume");
            return tx.Put(session.Resume(tx.Now), session);
        }, cancellationToken);
    }

    /// <summary>Submits a job into an existing session.</summary>
    public Task<Job> SubmitJobAsync(string sessionId, JobSpec spec, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(sessionId, "session_id");
        GridRequests.RequireUserCode(spec, _options);
        var validated = GridRequests.ValidSpec(spec);
        return _runner.RunAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            RecordActivity(sessionId, "job submitted");
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
        GridRequests.ValidateSession(resources, priority, "", "batch.");
        GridRequests.RequireUserCode(spec, _options);
        var validated = GridRequests.ValidSpec(spec);
        return _runner.RunAsync(async tx =>
        {
            var session = await NewSessionAsync(tx, resources, priority, validated.DisplayName, batch: true, _options.DefaultIdleTimeout, _options.DefaultMaxLifetime, owner);
            return NewJob(tx, session, validated);
        }, cancellationToken);
    }

    public Task<Job> GetJobAsync(string jobId, CancellationToken cancellationToken) =>
        _runner.ReadAsync(tx => tx.GetJobAsync(GridRequests.RequireId(jobId, "job_id")), cancellationToken);

    /// <summary>Jobs, newest first, of one session or of all.</summary>
    public Task<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken) =>
        _runner.ReadAsync<IReadOnlyList<Job>>(async tx =>
        {
            if (!string.IsNullOrEmpty(sessionId))
            {
                await tx.GetSessionAsync(GridRequests.RequireId(sessionId, "session_id"));
            }

            return (await tx.ListJobsAsync(string.IsNullOrEmpty(sessionId) ? null : sessionId))
                .OrderByDescending(j => j.CreatedAt)
                .ThenBy(j => j.Id, StringComparer.Ordinal)
                .ToList();
        }, cancellationToken);

    /// <summary>Cancels a queued or running job; a running job's process is stopped. Finished jobs are returned unchanged.</summary>
    public Task<Job> CancelJobAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        GridRequests.RequireId(jobId, "job_id");
        return _runner.RunAsync(async tx =>
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

    private async ValueTask<Session> NewSessionAsync(GridTransaction tx, ResourceRequest resources, int priority, string displayName, bool batch, TimeSpan idleTimeout, TimeSpan maxLifetime, string owner)
    {
        var admitted = "waiting for an agent with free capacity";
        if (_options.Quota.IsSet && _options.Quota.Exhausted != QuotaExhaustion.Queue
            && QuotaPolicy.RefusalFor(owner, resources, await tx.ListSessionsOfOwnerAsync(owner), _options.Quota, tx.Now) is { } refusal)
        {
            if (!QuotaPolicy.FallsBackToCpu(refusal, _options.Quota))
            {
                throw new GridException(GridError.ResourceExhausted, refusal.Message);
            }

            if (resources.Runtime == Runtime.Gpu)
            {
                resources = ResourceRequest.Cpu;
                admitted = $"{refusal.Message}; created as a CPU session instead (quota exhausted: cpu-only); {admitted}";
            }
        }

        if (_queueOrder == 0)
        {
            _queueOrder = (await tx.ListSessionsAsync()).Select(s => s.QueueOrder).DefaultIfEmpty(0).Max();
        }

        var session = new Session
        {
            Id = _ids.NewId("ses"),
            Resources = resources,
            Priority = priority,
            DisplayName = displayName,
            Batch = batch,
            StateReason = admitted,
            CreatedAt = tx.Now,
            UpdatedAt = tx.Now,
            QueueOrder = ++_queueOrder,
            IdleTimeout = idleTimeout,
            MaxLifetime = maxLifetime,
            LastActivityAt = tx.Now,
            LifetimeStartedAt = tx.Now,
            Owner = owner,
        };
        return tx.Put(session, before: null);
    }

    private async ValueTask<Session> EndSessionAsync(GridTransaction tx, Session session, SessionState final, string reason)
    {
        foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => !j.IsFinished))
        {
            FinishJob(tx, session, job, JobResult.Cancelled($"session {final.ToString().ToLowerInvariant()}: {reason}"));
        }

        if (session.AgentId is { } agentId)
        {
            tx.Send(agentId, new ReleaseSession(session.Id, reason));
        }

        return tx.Put(session.End(final, reason, tx.Now), session);
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
        CoordinatorLog.JobFinished(_logger, job.Id, result.State, result.Reason);
        return tx.AppendEvent(finished, new JobStateChanged(result.State, result.Reason));
    }

    /// <summary>Ends a running job with <paramref name="result"/>, then its session as after any job.</summary>
    private async ValueTask FailJobAsync(GridTransaction tx, Session session, Job job, JobResult result)
    {
        if (session.AgentId is { } agentId)
        {
            tx.Send(agentId, new CancelJob(job.Id, result.Reason));
        }

        await AfterJobAsync(tx, session, FinishJob(tx, session, job, result));
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

    /// <summary>Requeues an interrupted job for another attempt, or fails it after <see cref="GridOptions.MaxJobAttempts"/>.</summary>
    private async ValueTask RetryOrFailAsync(GridTransaction tx, Session session, Job job, string reason)
    {
        if (job.ChargedAttempts < _options.MaxJobAttempts)
        {
            CoordinatorLog.JobRetried(_logger, job.Id, job.Attempt, reason);
            var requeued = tx.AppendEvent(job.Requeue(), new JobStateChanged(JobState.Queued, $"{reason}; retrying (attempt {job.ChargedAttempts + 1} of {_options.MaxJobAttempts})"));
            var current = await tx.GetSessionAsync(session.Id);
            if (current.State == SessionState.Busy)
            {
                tx.Put(current.MarkReady($"job {requeued.Id} requeued", tx.Now), current);
            }

            return;
        }

        var failed = FinishJob(tx, session, job, JobResult.Failed($"{reason}; gave up after {job.ChargedAttempts} attempts"));
        await AfterJobAsync(tx, session, failed);
    }
}
