namespace GridTrain.Agent.Gpu;

/// <summary>The GPU driver refused or failed a query; the message names the call and the driver's reason.</summary>
/// <param name="message">The call and the driver's reason.</param>
/// <param name="isLost">True when the driver answered "GPU is lost" (the GPU fell off the bus).</param>
public sealed class GpuMonitorException(string message, bool isLost = false) : Exception(message)
{
    /// <summary>True when the driver answered "GPU is lost".</summary>
    public bool IsLost { get; } = isLost;
}
