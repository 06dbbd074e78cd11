using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Telemetry;

namespace GridTrain.Domain.Coordination;

public sealed partial class GridCoordinator
{
    /// <summary>Stops (or with <paramref name="cordon"/> false, resumes) placing new sessions on an agent.</summary>
    public Task<AgentOverview> CordonAgentAsync(string agentId, bool cordon, CancellationToken cancellationToken)
    {
        RequireId(agentId, "agent_id");
        return RunAsync(async tx =>
        {
            var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
            agent = tx.Put(agent with { Cordoned = cordon, DrainDeadline = cordon ? agent.DrainDeadline : null });
            if (!cordon)
            {
                // Capacity came back: let the scheduler look again.
                tx.RequestScheduling();
            }

            return await ViewAsync(tx, agent);
        }, cancellationToken);
    }

    /// <summary>
    /// Cordons an agent and moves its sessions elsewhere: each running job is asked to checkpoint and stop, then its
    /// session goes back to the queue (a new lease on another agent) and the job resumes there. Sessions whose jobs
    /// have not confirmed by <paramref name="deadline"/> move anyway, from their latest committed checkpoint.
    /// </summary>
    public Task<AgentOverview> DrainAgentAsync(string agentId, TimeSpan deadline, CancellationToken cancellationToken)
    {
        RequireId(agentId, "agent_id");
        if (deadline <= TimeSpan.Zero || deadline > TimeSpan.FromDays(1))
        {
            throw new GridException(GridError.InvalidArgument, $"deadline: must be between 1s and 1 day, got {deadline}");
        }

        return RunAsync(async tx =>
        {
            var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
            var graceEndsAt = tx.Now + deadline;
            agent = tx.Put(agent with { Cordoned = true, DrainDeadline = graceEndsAt });
            foreach (var session in (await tx.ListSessionsAsync()).Where(s => s.AgentId == agentId && s.HoldsResources && s.EvictingReason is null))
            {
                await BeginEvictionAsync(tx, session, EvictionCause.Drain, $"agent {agent.Name} draining", moves: true, graceEndsAt);
            }

            return await ViewAsync(tx, agent);
        }, cancellationToken);
    }

    private async ValueTask<AgentOverview> ViewAsync(GridTransaction tx, Agent agent) =>
        View(agent, (await tx.ListSessionsAsync()).Where(s => s.HoldsResources && s.AgentId == agent.Id));

    private AgentOverview View(Agent agent, IEnumerable<Sessions.Session> held)
    {
        var sessions = held.ToList();
        var capacity = Capacity(agent, sessions);
        return new AgentOverview(
            agent,
            [.. capacity.FreeGpus.Select(g => g.Index)],
            capacity.FreeCpuSlots,
            [.. sessions.Select(s => s.Id)],
            _lastSeen.TryGetValue(agent.Id, out var seen) ? seen : agent.LastHeartbeatAt);
    }
}
