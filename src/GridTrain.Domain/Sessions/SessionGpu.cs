using GridTrain.Domain.Agents;

namespace GridTrain.Domain.Sessions;

/// <summary>One of a session's GPUs: the device from its agent's inventory, and its latest reading (null before one).</summary>
public sealed record SessionGpu(GpuDevice Device, GpuTelemetry? Telemetry);
