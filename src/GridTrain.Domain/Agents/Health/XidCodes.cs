namespace GridTrain.Domain.Agents.Health;

/// <summary>
/// NVIDIA Xid error codes (<see href="https://docs.nvidia.com/deploy/xid-errors/"/>). Most critical Xids mean the GPU
/// or its driver failed; a few are raised by the application's own bugs and say nothing about the hardware.
/// </summary>
public static class XidCodes
{
    /// <summary>
    /// Xids caused by the application: 13 (graphics engine exception), 31 (GPU memory page fault), 43 (GPU stopped
    /// processing: the job was killed), 45 (preemptive cleanup after the job ended), 68 (video processor exception).
    /// </summary>
    public static IReadOnlySet<int> ApplicationErrors { get; } = new HashSet<int> { 13, 31, 43, 45, 68 };

    /// <summary>True when the Xid is the job's fault, not the GPU's: it does not quarantine the GPU.</summary>
    public static bool IsApplicationError(int xid) => ApplicationErrors.Contains(xid);
}
