using GridTrain.Agent.Gpu;
using GridTrain.Domain.Agents;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Metrics;

/// <summary>
/// Reads every GPU at most once per <see cref="MaxAge"/>, so the gauges of one scrape share a reading. A GPU the
/// driver cannot read is left out of that reading (and logged), not reported as zero.
/// </summary>
internal sealed partial class GpuSampler(IGpuMonitor monitor, TimeProvider time, ILogger<GpuSampler> logger)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private IReadOnlyList<(GpuDevice Device, GpuReading Reading)> _last = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public IReadOnlyList<(GpuDevice Device, GpuReading Reading)> Read()
    {
        if (monitor.Devices.Count == 0)
        {
            return [];
        }

        lock (_lock)
        {
            var now = time.GetUtcNow();
            if (now - _readAt < MaxAge)
            {
                return _last;
            }

            var readings = new List<(GpuDevice, GpuReading)>(monitor.Devices.Count);
            foreach (var device in monitor.Devices)
            {
                try
                {
                    readings.Add((device, monitor.Read(device.Index)));
                }
                catch (GpuMonitorException ex)
                {
                    LogReadFailed(logger, device.Index, device.Uuid, ex.Message);
                }
            }

            _last = readings;
            _readAt = now;
            return _last;
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "Could not read GPU {Index} ({Uuid}): {Reason}; its metrics are left out of this scrape", EventName = "GpuReadFailed")]
    private static partial void LogReadFailed(ILogger logger, int index, string uuid, string reason);
}
