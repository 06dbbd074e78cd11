using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Coordination;

/// <summary>Which agent reports count: only a live agent's, and for a running job only under the session's current lease.</summary>
internal static class LeaseFencing
{
    public static async ValueTask<Agent> RequireLiveAgentAsync(GridTransaction tx, string agentId)
    {
        var agent = await tx.FindAgentAsync(agentId) ?? throw GridException.NotFound("agent", agentId);
        if (agent.State == AgentState.Lost)
        {
            throw new GridException(GridError.NotFound, $"agent '{agentId}' was declared lost; register again");
        }

        return agent;
    }

    /// <summary>The job and its session, if the report comes from the agent holding the session's current lease.</summary>
    public static async ValueTask<(Session Session, Job Job)> FencedJobAsync(GridTransaction tx, string agentId, string jobId, long leaseEpoch)
    {
        await RequireLiveAgentAsync(tx, agentId);
        var job = await tx.GetJobAsync(jobId);
        var session = await tx.GetSessionAsync(job.SessionId);
        if (job.IsFinished)
        {
            return (session, job);
        }

        if (session.AgentId != agentId || session.LeaseEpoch != leaseEpoch || job.LeaseEpoch != leaseEpoch)
        {
            throw new GridException(GridError.FailedPrecondition, $"stale lease: job {jobId} runs under epoch {job.LeaseEpoch} on {session.AgentId ?? "no agent"}, report carried epoch {leaseEpoch} from {agentId}; stop the job");
        }

        return (session, job);
    }

    /// <summary>The placements a heartbeat confirms: sessions it reports holding that wait in Starting for this agent, at the epoch it holds.</summary>
    public static async ValueTask<List<Session>> ConfirmedByAsync(GridTransaction tx, string agentId, IReadOnlyList<HeldSessionReport> sessions)
    {
        var starting = new List<Session>();
        foreach (var held in sessions)
        {
            if (await tx.FindSessionAsync(held.SessionId) is { State: SessionState.Starting } session
                && session.AgentId == agentId && session.LeaseEpoch == held.LeaseEpoch)
            {
                starting.Add(session);
            }
        }

        return starting;
    }

    /// <summary>Marks Ready every placement the heartbeat confirms (<see cref="ConfirmedByAsync"/>), if the agent is still live.</summary>
    public static async ValueTask ConfirmPlacementsAsync(GridTransaction tx, Agent agent, IReadOnlyList<HeldSessionReport> sessions)
    {
        await RequireLiveAgentAsync(tx, agent.Id);
        foreach (var session in await ConfirmedByAsync(tx, agent.Id, sessions))
        {
            tx.Put(session.MarkReady($"ready on {agent.Name}", tx.Now), session);
        }
    }
}
