using GridTrain.Domain.Agents;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Scheduling;
using GridTrain.Domain.Storage;

namespace GridTrain.Domain.Coordination;

/// <summary>
/// The free capacity the scheduling pass places sessions on, kept between passes so that a pass costs what changed
/// rather than the size of the fleet. Each pass first brings it up to date: an agent is computed again when a batch
/// wrote its record, or a session that was, or now is, held on it (noted from each batch's writes). When a directive
/// stream opened or closed or a GPU went out of service or came back since the last pass (their versions say so), every
/// agent is compared with what its capacity was computed from (its record, stream and GPUs' health, agent by agent)
/// instead. A batch that failed leaves nothing to trust: everything is computed again at the next pass. Used under the
/// operation gate only.
/// </summary>
internal sealed class SchedulableCapacity(AgentDirectiveBus directives, GpuFaults gpuFaults)
{
    private readonly FreeCapacity _free = new();
    private readonly Dictionary<string, Computed> _computed = new(StringComparer.Ordinal);

    /// <summary>Each held session → the agent it was counted on when that agent was last computed.</summary>
    private readonly Dictionary<string, string> _countedOn = new(StringComparer.Ordinal);

    private readonly HashSet<string> _stale = new(StringComparer.Ordinal);

    /// <summary>The directive streams' and GPU faults' versions at the last pass (none before the first).</summary>
    private (long Directives, long GpuFaults) _versions = (-1, -1);

    /// <summary>A batch ended: the agents its session writes left or joined are computed again; after a failure, all of them.</summary>
    public void BatchEnded(GridChanges changes, bool saved)
    {
        if (!saved)
        {
            _versions = (-1, -1);
            _computed.Clear();
            _countedOn.Clear();
            _stale.Clear();
            _free.Clear();
            return;
        }

        NoteWrites(changes);
    }

    /// <summary>The free capacity as <paramref name="tx"/> sees it. The pass may take from it what it places.</summary>
    public async ValueTask<FreeCapacity> CurrentAsync(GridTransaction tx)
    {
        NoteWrites(tx.Changes);
        var versions = (directives.Version, gpuFaults.Version);
        var agents = await tx.ListAgentsAsync();
        if (versions == _versions && agents.Count == _computed.Count)
        {
            // No stream opened or closed and no GPU changed service since the last pass, and agent records change only
            // by batches' writes, which are noted: only the agents those touched are computed again. A pass costs what
            // changed, not the size of the fleet (10,000 agents' lookups in every pass were 8 % of a burst's CPU).
            foreach (var agentId in _stale)
            {
                if (await tx.FindAgentAsync(agentId) is { } agent)
                {
                    await ComputeAsync(tx, agent, directives.IsOpen(agentId), gpuFaults.Of(agentId));
                }
                else
                {
                    Forget(agentId);
                }
            }
        }
        else
        {
            await CompareAllAsync(tx, agents);
        }

        _versions = versions;
        _stale.Clear();
        return _free;
    }

    /// <summary>Compares every agent with what its capacity was computed from, computing again those that differ.</summary>
    private async ValueTask CompareAllAsync(GridTransaction tx, IReadOnlyList<Agent> agents)
    {
        foreach (var agent in agents)
        {
            var open = directives.IsOpen(agent.Id);
            var health = gpuFaults.Of(agent.Id);
            if (_stale.Contains(agent.Id) || !_computed.TryGetValue(agent.Id, out var computed) || !computed.Matches(agent, open, health, gpuFaults))
            {
                await ComputeAsync(tx, agent, open, health);
            }
        }

        if (_computed.Count > agents.Count)
        {
            var listed = agents.Select(a => a.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _computed.Keys.Where(id => !listed.Contains(id)).ToList())
            {
                Forget(gone);
            }
        }
    }

    private void NoteWrites(GridChanges changes)
    {
        foreach (var agent in changes.Agents)
        {
            _stale.Add(agent.Id);
        }

        foreach (var session in changes.Sessions)
        {
            if (_countedOn.TryGetValue(session.Id, out var before))
            {
                _stale.Add(before);
            }

            if (session.AgentId is { } agentId)
            {
                _stale.Add(agentId);
            }
        }
    }

    private async ValueTask ComputeAsync(GridTransaction tx, Agent agent, bool open, IReadOnlyList<Agents.Health.GpuHealth> health)
    {
        Forget(agent.Id);
        var held = await tx.ListHeldSessionsAsync(agent.Id);
        foreach (var session in held)
        {
            _countedOn[session.Id] = agent.Id;
        }

        var unhealthy = gpuFaults.Unhealthy(agent.Id);
        if (agent.State == AgentState.Ready && !agent.Cordoned && open)
        {
            _free.Set(AgentCapacity.Of(agent, held, unhealthy));
        }

        _computed[agent.Id] = new Computed(agent, open, health, unhealthy, [.. held.Select(s => s.Id)]);
    }

    private void Forget(string agentId)
    {
        if (_computed.Remove(agentId, out var computed))
        {
            foreach (var sessionId in computed.Held)
            {
                if (_countedOn.TryGetValue(sessionId, out var on) && on == agentId)
                {
                    _countedOn.Remove(sessionId);
                }
            }
        }

        _free.Remove(agentId);
    }

    /// <summary>What an agent's capacity was computed from.</summary>
    private sealed class Computed(Agent agent, bool open, IReadOnlyList<Agents.Health.GpuHealth> health, IReadOnlySet<int> unhealthy, string[] held)
    {
        private IReadOnlyList<Agents.Health.GpuHealth> _health = health;

        public string[] Held { get; } = held;

        /// <summary>Whether the capacity still holds for the agent's record, stream and health now (sessions aside).</summary>
        public bool Matches(Agent now, bool openNow, IReadOnlyList<Agents.Health.GpuHealth> healthNow, GpuFaults faults)
        {
            if (!ReferenceEquals(now, agent) || openNow != open)
            {
                return false;
            }

            if (ReferenceEquals(healthNow, _health))
            {
                return true;
            }

            // Agents report health with every heartbeat; only a change in which GPUs are out of service matters.
            if (!faults.Unhealthy(now.Id).SetEquals(unhealthy))
            {
                return false;
            }

            _health = healthNow;
            return true;
        }
    }
}
