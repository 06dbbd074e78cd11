namespace GridTrain.Domain.Agents.Health;

/// <summary>Whether one of an agent's GPUs may be leased, and if not why.</summary>
/// <param name="Index">The GPU's index on its machine.</param>
/// <param name="Uuid">The GPU's NVML UUID.</param>
/// <param name="Cause">Why it is out of service; null while healthy.</param>
/// <param name="Reason">The GPU and the fault, as a job's failure names it (<c>GPU-… Xid 79</c>); empty while healthy.</param>
/// <param name="Since">When it was taken out of service; null while healthy.</param>
public sealed record GpuHealth(int Index, string Uuid, GpuFaultCause? Cause = null, string Reason = "", DateTimeOffset? Since = null)
{
    /// <summary>True when the GPU may be leased.</summary>
    public bool Healthy => Cause is null;

    /// <summary>A healthy GPU.</summary>
    public static GpuHealth Ok(int index, string uuid) => new(index, uuid);
}
