using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Scheduling;

/// <summary>
/// Places pending sessions on agents. Higher priority first, FIFO within a priority. GPU sessions go
/// best-fit (the agent left with the fewest free GPUs), so whole machines stay free for large sessions;
/// CPU sessions prefer machines without GPUs. A session that fits nowhere does not block smaller ones behind it.
/// </summary>
public static class Scheduler
{
    public static IReadOnlyList<Placement> Place(IEnumerable<Session> pending, IEnumerable<AgentCapacity> agents) =>
        Place(pending, new FreeCapacity(agents));

    /// <summary>
    /// Places <paramref name="pending"/> on <paramref name="free"/>, taking what each placement uses out of it, so a
    /// caller that keeps <paramref name="free"/> between passes must set each placed agent's capacity again once the
    /// placement is written (or dropped).
    /// </summary>
    public static IReadOnlyList<Placement> Place(IEnumerable<Session> pending, FreeCapacity free)
    {
        var placements = new List<Placement>();
        foreach (var session in pending.Where(s => s.State == SessionState.Pending)
                     .OrderByDescending(s => s.Priority).ThenBy(s => s.QueueOrder))
        {
            var placement = session.Resources.Runtime == Runtime.Gpu
                ? free.PlaceGpu(session)
                : free.PlaceCpu(session);
            if (placement is not null)
            {
                placements.Add(placement);
            }
        }

        return placements;
    }
}
