namespace GridTrain.Domain.Agents;

/// <summary>One GPU: CUDA index, NVML UUID, model name, memory in bytes.</summary>
public sealed record GpuDevice(int Index, string Uuid, string Model, long MemoryBytes);
