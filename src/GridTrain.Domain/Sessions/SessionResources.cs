using GridTrain.Domain.Agents;

namespace GridTrain.Domain.Sessions;

/// <summary>
/// What a session's resources use now, Colab's "view resources": its own GPUs (never another session's on the same
/// machine) and its agent's RAM and disk, from the agent's latest reading. A session that holds nothing has none.
/// </summary>
/// <param name="SessionId">The session.</param>
/// <param name="Agent">The agent holding it; null while it holds nothing.</param>
/// <param name="ReadAt">When the agent's reading arrived; null before the first.</param>
/// <param name="Gpus">The session's GPUs, in the order of its GPU indexes.</param>
/// <param name="Memory">The agent machine's RAM.</param>
/// <param name="Disk">The disk of the agent's work directory.</param>
public sealed record SessionResources(string SessionId, Agent? Agent, DateTimeOffset? ReadAt, IReadOnlyList<SessionGpu> Gpus, SpaceUse? Memory, SpaceUse? Disk)
{
    /// <summary>The session's share of <paramref name="agent"/>'s <paramref name="reading"/>; nothing unless the session holds resources on that agent.</summary>
    public static SessionResources Of(Session session, Agent? agent, AgentReading? reading)
    {
        if (!session.HoldsResources || agent is null || agent.Id != session.AgentId)
        {
            return new SessionResources(session.Id, null, null, [], null, null);
        }

        var gpus = session.GpuIndexes
            .Select(index => new SessionGpu(
                agent.Inventory.Gpus.FirstOrDefault(g => g.Index == index) ?? new GpuDevice(index, "", "", 0),
                reading?.Resources.Gpus.FirstOrDefault(g => g.Index == index)))
            .ToList();
        return new SessionResources(session.Id, agent, reading?.ReadAt, gpus, reading?.Resources.Memory, reading?.Resources.Disk);
    }
}
