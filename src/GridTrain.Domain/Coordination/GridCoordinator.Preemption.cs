using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>
    /// For each pending session that did not fit, highest priority first, makes room by moving lower-priority sessions:
    /// they checkpoint, stop and requeue (their jobs resume later). Nothing new is preempted while an earlier
    /// move (a preemption or a drain) is still freeing resources.
    /// </summary>
    private async ValueTask PreemptAsync(GridTransaction tx, IReadOnlyList<Session> unplaced)
    {
        var sessions = await tx.ListSessionsAsync();
        if (unplaced.Count == 0 || sessions.Any(s => s.EvictingReason is not null && s.EvictionMoves))
        {
            return;
        }

        var running = (await tx.ListJobsAsync(null)).Where(j => j.State == JobState.Running).ToDictionary(j => j.SessionId, StringComparer.Ordinal);
        var candidates = sessions
            .Where(s => s.HoldsResources && s.EvictingReason is null)
            .Select(s => new PreemptionCandidate(s, running.TryGetValue(s.Id, out var job) ? job.StepsSinceCheckpoint : 0))
            .ToList();
        var agents = (await tx.ListAgentsAsync()).Where(a => a.State == Agents.AgentState.Ready && !a.Cordoned).ToDictionary(a => a.Id, StringComparer.Ordinal);
        var capacities = await CapacitiesAsync(tx, sessions);

        foreach (var pending in unplaced.OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var eligible = capacities.Where(c => agents.TryGetValue(c.AgentId, out var agent) && Offers(agent, pending.Resources));
            var victims = Preemption.ChooseVictims(pending, eligible, candidates);
            if (victims.Count == 0)
            {
                continue;
            }

            foreach (var victim in victims)
            {
                Log.SessionPreempted(_logger, victim.Id, pending.Id);
                await BeginEvictionAsync(tx, victim, EvictionCause.Preempted, $"preempted by {pending.Id} (priority {pending.Priority})", moves: true);
            }

            return;
        }
    }

    /// <summary>Whether the agent has, in total, what the request needs (free or not).</summary>
    private static bool Offers(Agents.Agent agent, ResourceRequest request) =>
        request.Runtime == Runtime.Cpu
            ? agent.Inventory.CpuSlots > 0
            : agent.Inventory.Gpus.Count(g => request.GpuModel.Length == 0 || g.Model.Contains(request.GpuModel, StringComparison.OrdinalIgnoreCase)) >= request.GpuCount;
}
