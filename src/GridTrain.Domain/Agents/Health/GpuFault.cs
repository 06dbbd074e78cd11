namespace GridTrain.Domain.Agents.Health;

/// <summary>One fault a health check found on a GPU.</summary>
/// <param name="Cause">What kind of fault.</param>
/// <param name="Detail">What exactly, for people: <c>Xid 79</c>, <c>2 new uncorrectable ECC errors</c>.</param>
public sealed record GpuFault(GpuFaultCause Cause, string Detail);
