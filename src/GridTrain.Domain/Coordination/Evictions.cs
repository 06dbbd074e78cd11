using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// The coordinator's eviction decisions, inside its transactions: warning of evictions to come, evicting idle or
/// expired sessions, and moving sessions off an agent (drain, preemption). A running job is asked to checkpoint and
/// stop first; its result, or the end of the grace, completes the eviction.
/// </summary>
internal sealed class Evictions(GridOptions options, SessionActivity activity, ILogger logger)
{
    /// <summary>Sessions stored before idle eviction existed get the deployment defaults, counted from their creation.</summary>
    public Session WithDefaults(Session session) => session.WithEvictionDefaults(options.DefaultIdleTimeout, options.DefaultMaxLifetime);

    /// <summary>Why the session (with its eviction defaults applied) is or is not idle, from every signal the controller has.</summary>
    public IdleExplanation Explain(Session session, IReadOnlyList<Job> jobs, DateTimeOffset now)
    {
        var explanation = IdlePolicy.Explain(session, jobs, activity.LastActivity(session), now, options.StallTimeout, activity.LowGpu(session));
        return explanation with { Reasons = [activity.Describe(session, now), .. explanation.Reasons] };
    }

    /// <summary>
    /// Warns of evictions to come, evicts sessions whose idle timeout or lifetime has run out, and finishes evictions
    /// whose checkpoint grace has passed.
    /// </summary>
    public async ValueTask SweepAsync(GridTransaction tx)
    {
        foreach (var session in await tx.ListHeldSessionsAsync(null))
        {
            if (session.EvictingReason is { } evicting)
            {
                if (tx.Now >= session.EvictionGraceEndsAt)
                {
                    await FinishAsync(tx, session, $"{evicting}; the job did not confirm a checkpoint within {options.EvictionGrace}");
                }

                continue;
            }

            var current = WithDefaults(session);
            if (IdlePolicy.EvictionDue(current, await tx.ListJobsAsync(session.Id), activity.LastActivity(current), tx.Now, options.StallTimeout, activity.LowGpu(current)) is not { } due)
            {
                continue;
            }

            var (deadline, why) = due;

            if (tx.Now >= deadline)
            {
                var idle = why == "idle";
                await BeginAsync(tx, session, idle ? EvictionCause.Idle : EvictionCause.Lifetime, idle ? $"idle for {current.IdleTimeout}" : $"lifetime of {current.MaxLifetime} reached");
            }
            else if (tx.Now >= deadline - options.EvictionWarning && session.EvictionWarnedFor != deadline)
            {
                var warned = tx.Put(session with { EvictionWarnedFor = deadline }, session);
                tx.Warn(warned, deadline, $"will be evicted at {deadline:u} ({why}) unless it is used");
            }
        }
    }

    /// <summary>Starts evicting (or with <paramref name="moves"/>, moving) a session; at once when no job runs in it.</summary>
    public async ValueTask BeginAsync(GridTransaction tx, Session session, EvictionCause cause, string reason, bool moves = false, DateTimeOffset? graceEndsAt = null)
    {
        CoordinatorLog.SessionEvicting(logger, session.Id, reason);
        tx.Measure(instruments => instruments.Evicted(cause));
        var running = (await tx.ListJobsAsync(session.Id)).FirstOrDefault(j => j.State == JobState.Running);
        var evicting = session with { EvictingReason = reason, EvictionGraceEndsAt = graceEndsAt ?? tx.Now + options.EvictionGrace, EvictionMoves = moves };
        if (running is null || session.AgentId is null)
        {
            await FinishAsync(tx, tx.Put(evicting, session), reason);
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
    public async ValueTask FinishAsync(GridTransaction tx, Session session, string reason)
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
