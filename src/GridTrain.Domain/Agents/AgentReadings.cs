using System.Collections.Concurrent;

namespace GridTrain.Domain.Agents;

/// <summary>
/// Each agent's latest report of its machine's use (RAM, disk, GPUs), kept in memory only: readings are replaced every
/// heartbeat, so storing them would cost a write per heartbeat for nothing a restart needs. After a restart an agent's
/// next heartbeat brings a fresh one.
/// </summary>
public sealed class AgentReadings(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, AgentReading> _latest = new(StringComparer.Ordinal);

    /// <summary>Keeps <paramref name="resources"/> as the agent's reading, stamped now; returns it.</summary>
    public AgentReading Note(string agentId, AgentResources resources) => _latest[agentId] = new AgentReading(resources, time.GetUtcNow());

    /// <summary>The agent's latest reading; null before its first.</summary>
    public AgentReading? Latest(string agentId) => _latest.TryGetValue(agentId, out var reading) ? reading : null;
}
