namespace GridTrain.Domain.Agents;

/// <summary>What an agent's machine uses at the moment of a heartbeat; a part the agent could not read is null (or absent).</summary>
/// <param name="Memory">The machine's RAM.</param>
/// <param name="Disk">The file system that holds the agent's work directory, where session workspaces live.</param>
/// <param name="Gpus">Every GPU the agent could read, by index.</param>
public sealed record AgentResources(SpaceUse? Memory, SpaceUse? Disk, IReadOnlyList<GpuTelemetry> Gpus)
{
    /// <summary>Most GPUs a reading may list (as many as an inventory may have).</summary>
    public const int MaxGpus = 64;

    /// <summary>Problems with the reading, each naming its field.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var problem in Memory?.Validate("resources.memory") ?? [])
        {
            yield return problem;
        }

        foreach (var problem in Disk?.Validate("resources.disk") ?? [])
        {
            yield return problem;
        }

        if (Gpus.Count > MaxGpus)
        {
            yield return $"resources.gpus: at most {MaxGpus} GPUs, got {Gpus.Count}";
            yield break;
        }

        if (Gpus.Select(g => g.Index).Distinct().Count() != Gpus.Count)
        {
            yield return "resources.gpus: each GPU index at most once";
        }

        foreach (var problem in Gpus.SelectMany(g => g.Validate("resources.gpus")))
        {
            yield return problem;
        }
    }
}
