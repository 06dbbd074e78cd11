using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Scheduling;

/// <summary>A session that could give way, with the work a stop would lose.</summary>
public sealed record PreemptionCandidate(Session Session, long StepsLost);

/// <summary>
/// Chooses whom a pending session preempts: on one agent, lower-priority sessions whose resources, added to what is
/// free there, make the session fit — taking those with the least work lost since their last checkpoint first, and
/// as few as needed. Pure: the caller supplies capacities and candidates.
/// </summary>
public static class Preemption
{
    /// <returns>The victims, or empty when no agent can make room.</returns>
    public static IReadOnlyList<Session> ChooseVictims(Session pending, IEnumerable<AgentCapacity> agents, IReadOnlyList<PreemptionCandidate> candidates)
    {
        IReadOnlyList<PreemptionCandidate>? best = null;
        foreach (var agent in agents)
        {
            var onAgent = candidates
                .Where(c => c.Session.AgentId == agent.AgentId && c.Session.Priority < pending.Priority)
                .OrderBy(c => c.StepsLost)
                .ThenBy(c => c.Session.Priority)
                .ToList();
            var chosen = new List<PreemptionCandidate>();
            foreach (var candidate in onAgent)
            {
                if (Fits(pending, agent, chosen))
                {
                    break;
                }

                chosen.Add(candidate);
            }

            if (chosen.Count > 0 && Fits(pending, agent, chosen) && (best is null || Cost(chosen).CompareTo(Cost(best)) < 0))
            {
                best = chosen;
            }
        }

        return best?.Select(c => c.Session).ToList() ?? [];
    }

    private static bool Fits(Session pending, AgentCapacity agent, IReadOnlyList<PreemptionCandidate> freed)
    {
        var request = pending.Resources;
        if (request.Runtime == Runtime.Cpu)
        {
            return agent.FreeCpuSlots + freed.Count(f => f.Session.Resources.Runtime == Runtime.Cpu) >= 1;
        }

        // GPU indexes only: the model constraint was checked against the agent's inventory by the caller.
        return agent.FreeGpus.Count + freed.Sum(f => f.Session.GpuIndexes.Count) >= request.GpuCount;
    }

    private static (long Steps, int Count) Cost(IReadOnlyList<PreemptionCandidate> victims) => (victims.Sum(v => v.StepsLost), victims.Count);
}
