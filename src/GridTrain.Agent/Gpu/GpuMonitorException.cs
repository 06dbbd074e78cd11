namespace GridTrain.Agent.Gpu;

/// <summary>The GPU driver refused or failed a query; the message names the call and the driver's reason.</summary>
public sealed class GpuMonitorException(string message) : Exception(message);
