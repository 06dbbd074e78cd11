using GridTrain.Domain.AgentProtocol;
using System.Collections.Concurrent;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>Client activity per session, kept in memory: reads must not write. A restart counts as activity.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> _activity = new(StringComparer.Ordinal);

    /// <summary>Since when each session's GPUs have read below the stall threshold, under which lease; from heartbeats.</summary>
    private readonly ConcurrentDictionary<string, (long Epoch, DateTimeOffset Since)> _lowGpuSince = new(StringComparer.Ordinal);

    /// <summary>Notes client activity on a session (any call on it), postponing its idle eviction.</summary>
    public void RecordActivity(string sessionId) => _activity[sessionId] = _time.GetUtcNow();

    /// <summary>Marks activity and returns the session.</summary>
    public Task<Session> KeepAliveAsync(string sessionId, CancellationToken cancellationToken)
    {
        RequireId(sessionId, "session_id");
        return RunReadAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            RecordActivity(sessionId);
            return session;
        }, cancellationToken);
    }

    /// <summary>Why the session is or is not idle and when it will be evicted.</summary>
    public Task<IdleExplanation> ExplainIdlenessAsync(string sessionId, CancellationToken cancellationToken)
    {
        RequireId(sessionId, "session_id");
        return RunReadAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            session = WithEvictionDefaults(session);
            return Explain(session, await tx.ListJobsAsync(session.Id), tx.Now);
        }, cancellationToken);
    }

    /// <summary>Brings an evicted or suspended session back into the queue; its interrupted job resumes from its latest checkpoint.</summary>
    public Task<Session> ResumeSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        RequireId(sessionId, "session_id");
        return RunAsync(async tx =>
        {
            var session = await tx.GetSessionAsync(sessionId);
            if (!session.IsResumable)
            {
                throw new GridException(GridError.FailedPrecondition, $"session {sessionId} is {session.State.ToString().ToUpperInvariant()}; only an evicted or suspended session can be resumed");
            }

            RecordActivity(sessionId);
            return tx.Put(session.Resume(tx.Now), session);
        }, cancellationToken);
    }

    /// <summary>Sessions stored before idle eviction existed get the deployment defaults, counted from their creation.</summary>
    private Session WithEvictionDefaults(Session session) => session with
    {
        IdleTimeout = session.IdleTimeout > TimeSpan.Zero ? session.IdleTimeout : _options.DefaultIdleTimeout,
        MaxLifetime = session.MaxLifetime > TimeSpan.Zero ? session.MaxLifetime : _options.DefaultMaxLifetime,
        LifetimeStartedAt = session.LifetimeStartedAt == default ? session.CreatedAt : session.LifetimeStartedAt,
        LastActivityAt = session.LastActivityAt == default ? session.CreatedAt : session.LastActivityAt,
    };

    /// <summary>Why the session (with its eviction defaults applied) is or is not idle, from every signal the controller has.</summary>
    private IdleExplanation Explain(Session session, IReadOnlyList<Job> jobs, DateTimeOffset now) =>
        IdlePolicy.Explain(session, jobs, LastActivity(session), now, _options.StallTimeout, LowGpu(session));

    /// <summary>
    /// Notes a heartbeat's GPU reading for a session the agent validly holds: the first reading below the stall
    /// threshold under this lease starts the window, any reading at or above it (or none) ends it. Kept in memory, like
    /// client activity: after a controller restart the window starts again, which only delays an eviction.
    /// </summary>
    private void NoteGpuUtilization(HeldSessionReport held, DateTimeOffset now)
    {
        if (_options.GpuStallThreshold <= 0)
        {
            return;
        }

        if (held.GpuUtilization is { } utilization && utilization < _options.GpuStallThreshold)
        {
            _lowGpuSince.AddOrUpdate(held.SessionId, (held.LeaseEpoch, now), (_, seen) => seen.Epoch == held.LeaseEpoch ? seen : (held.LeaseEpoch, now));
        }
        else
        {
            _lowGpuSince.TryRemove(held.SessionId, out _);
        }
    }

    private LowGpuUtilization? LowGpu(Session session) =>
        _lowGpuSince.TryGetValue(session.Id, out var low) && low.Epoch == session.LeaseEpoch && session.HoldsResources
            ? new LowGpuUtilization(low.Since, _options.GpuStallThreshold)
            : null;

    /// <summary>Drops GPU readings of sessions that no longer hold that lease.</summary>
    private async ValueTask ForgetStaleGpuReadingsAsync(GridTransaction tx)
    {
        foreach (var (sessionId, low) in _lowGpuSince)
        {
            if (await tx.FindSessionAsync(sessionId) is not { HoldsResources: true } session || session.LeaseEpoch != low.Epoch)
            {
                _lowGpuSince.TryRemove(sessionId, out _);
            }
        }
    }

    private DateTimeOffset LastActivity(Session session) =>
        _activity.TryGetValue(session.Id, out var seen) && seen > session.LastActivityAt ? seen : session.LastActivityAt;

    /// <summary>
    /// Warns of evictions to come, evicts sessions whose idle timeout or lifetime has run out, and finishes evictions
    /// whose checkpoint grace has passed. A running job is asked to checkpoint and stop first.
    /// </summary>
    private async ValueTask EvictAsync(GridTransaction tx)
    {
        foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.HoldsResources))
        {
            if (session.EvictingReason is { } evicting)
            {
                if (tx.Now >= session.EvictionGraceEndsAt)
                {
                    await FinishEvictionAsync(tx, session, $"{evicting}; the job did not confirm a checkpoint within {_options.EvictionGrace}");
                }

                continue;
            }

            var current = WithEvictionDefaults(session);
            var explanation = Explain(current, await tx.ListJobsAsync(session.Id), tx.Now);
            if (explanation.EvictionAt is not { } deadline)
            {
                continue;
            }

            if (tx.Now >= deadline)
            {
                var idle = explanation.EvictionReason == "idle";
                await BeginEvictionAsync(tx, session, idle ? EvictionCause.Idle : EvictionCause.Lifetime, idle ? $"idle for {current.IdleTimeout}" : $"lifetime of {current.MaxLifetime} reached");
            }
            else if (tx.Now >= deadline - _options.EvictionWarning && session.EvictionWarnedFor != deadline)
            {
                var warned = tx.Put(session with { EvictionWarnedFor = deadline }, session);
                tx.Warn(warned, deadline, $"will be evicted at {deadline:u} ({explanation.EvictionReason}) unless it is used");
            }
        }
    }

    private async ValueTask BeginEvictionAsync(GridTransaction tx, Session session, EvictionCause cause, string reason, bool moves = false, DateTimeOffset? graceEndsAt = null)
    {
        Log.SessionEvicting(_logger, session.Id, reason);
        tx.Measure(instruments => instruments.Evicted(cause));
        var running = (await tx.ListJobsAsync(session.Id)).FirstOrDefault(j => j.State == JobState.Running);
        var evicting = session with { EvictingReason = reason, EvictionGraceEndsAt = graceEndsAt ?? tx.Now + _options.EvictionGrace, EvictionMoves = moves };
        if (running is null || session.AgentId is null)
        {
            await FinishEvictionAsync(tx, tx.Put(evicting, session), reason);
            return;
        }

        // The job process checkpoints on SIGTERM before it exits; its result (or the grace deadline) completes the eviction.
        tx.Send(session.AgentId, new CancelJob(running.Id, $"session {(moves ? "moving" : "evicted")} ({reason}): checkpoint and stop"));
        tx.Put(evicting, session);
    }

    /// <summary>
    /// Frees the session's resources, keeping its record; a job still running goes back to the queue to resume from its
    /// checkpoint. An evicted session waits to be resumed; a moving one (drain) goes straight back to the queue.
    /// </summary>
    private async ValueTask FinishEvictionAsync(GridTransaction tx, Session session, string reason)
    {
        session = await tx.GetSessionAsync(session.Id);
        var then = session.EvictionMoves ? "on another agent" : "when the session is resumed";
        foreach (var job in (await tx.ListJobsAsync(session.Id)).Where(j => j.State == JobState.Running))
        {
            tx.AppendEvent(job.Requeue(), new JobStateChanged(JobState.Queued, $"session {(session.EvictionMoves ? "moving" : "evicted")} ({reason}); resumes from {job.LatestCheckpoint ?? "the start"} {then}"));
        }

        if (session.AgentId is { } agentId)
        {
            tx.Send(agentId, new ReleaseSession(session.Id, $"{(session.EvictionMoves ? "moving" : "evicted")}: {reason}"));
        }

        tx.Put(session.EvictionMoves ? session.Requeue($"moved off its agent ({reason}); waiting for another agent", tx.Now) : session.End(SessionState.Evicted, reason, tx.Now), session);
    }
}
