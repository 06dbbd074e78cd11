namespace GridTrain.Agent.Leases;

/// <summary>A session this agent holds: the lease epoch it was assigned under and the GPUs (NVML indexes) the lease gives it.</summary>
internal sealed record SessionHold(string SessionId, long LeaseEpoch, IReadOnlyList<int> GpuIndexes);
