using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;
using Microsoft.Extensions.Logging;

namespace GridTrain.Domain.Coordination;

/// <summary>The scheduling pass's last resort: moving lower-priority sessions off to make room for a higher-priority one.</summary>
internal sealed class Preemptions(Evictions evictions, ILogger logger)
{
    /// <summary>
    /// For each pending session that did not fit, highest priority first, makes room by moving lower-priority sessions:
    /// they checkpoint, stop and requeue (their jobs resume later). Nothing new is preempted while an earlier
    /// move (a preemption or a drain) is still freeing resources.
    /// </summary>
    public async ValueTask PreemptAsync(GridTransaction tx, IReadOnlyList<Session> unplaced, Func<IReadOnlyList<Session>, ValueTask<List<AgentCapacity>>> capacitiesOf)
    {
        // Every session is listed only when some did not fit: the pass runs several times a second in a burst of
        // placements, and a list of all sessions is made afresh after each change (a large array, once per pass).
        if (unplaced.Count == 0)
        {
            return;
        }

        var sessions = await tx.ListSessionsAsync();
        if (sessions.Any(s => s.EvictingReason is not null && s.EvictionMoves))
        {
            return;
        }

        var running = (await tx.ListJobsInStateAsync(JobState.Running)).ToDictionary(j => j.SessionId, StringComparer.Ordinal);
        var candidates = sessions
            .Where(s => s.HoldsResources && s.EvictingReason is null)
            .Select(s => new PreemptionCandidate(s, running.TryGetValue(s.Id, out var job) ? job.StepsSinceCheckpoint : 0))
            .ToList();
        var agents = (await tx.ListAgentsAsync()).Where(a => a.State == AgentState.Ready && !a.Cordoned).ToDictionary(a => a.Id, StringComparer.Ordinal);
        var capacities = await capacitiesOf(sessions);

        foreach (var pending in unplaced.OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var eligible = capacities.Where(c => agents.TryGetValue(c.AgentId, out var agent) && AgentCapacity.Offers(agent, pending.Resources));
            var victims = Preemption.ChooseVictims(pending, eligible, candidates);
            if (victims.Count == 0)
            {
                continue;
            }

            foreach (var victim in victims)
            {
                CoordinatorLog.SessionPreempted(logger, victim.Id, pending.Id);
                await evictions.BeginAsync(tx, victim, EvictionCause.Preempted, $"preempted by {pending.Id} (priority {pending.Priority})", moves: true);
            }

            return;
        }
    }
}
