using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Domain.Agents;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Inventory;

/// <summary>
/// Reads what the machine uses now, for the heartbeat: RAM from <c>/proc/meminfo</c>, the file system of the work
/// directory (where session workspaces live) through statvfs, and each advertised GPU through NVML. A part that cannot
/// be read is left out and logged at debug level; a reading never fails the heartbeat.
/// </summary>
internal sealed partial class MachineUsage(IGpuMonitor gpus, IOptions<AgentOptions> options, ILogger<MachineUsage> logger)
{
    private const string MemInfoPath = "/proc/meminfo";
    private readonly AgentOptions _options = options.Value;

    public AgentResources Read() => new(ReadMemory(), ReadDisk(), ReadGpus());

    /// <summary>
    /// RAM from the text of <c>/proc/meminfo</c>: total, and in use as total less MemAvailable (what the kernel could
    /// hand out without swapping, page cache included). Null when either line is missing.
    /// </summary>
    internal static SpaceUse? ParseMemInfo(string text)
    {
        long? total = null;
        long? available = null;
        foreach (var line in text.Split('\n'))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !long.TryParse(parts[1], out var value) || value < 0)
            {
                continue;
            }

            var bytes = parts.Length > 2 && parts[2] == "kB" ? value * 1024 : value;
            switch (parts[0])
            {
                case "MemTotal:":
                    total = bytes;
                    break;
                case "MemAvailable:":
                    available = bytes;
                    break;
            }
        }

        return total is { } t && available is { } a ? new SpaceUse(Math.Clamp(t - a, 0, t), t) : null;
    }

    /// <summary>One GPU's reading as the heartbeat carries it: clamped to what the controller accepts.</summary>
    internal static GpuTelemetry ToTelemetry(int index, GpuReading reading)
    {
        var total = reading.MemoryTotalBytes is >= 0 ? reading.MemoryTotalBytes : null;
        var used = reading.MemoryUsedBytes is { } u ? Math.Clamp(u, 0, total ?? long.MaxValue) : (long?)null;
        var utilization = reading.Utilization is { } value && !double.IsNaN(value) ? Math.Clamp(value, 0, 1) : (double?)null;
        return new GpuTelemetry(index, utilization, used, total);
    }

    private SpaceUse? ReadMemory()
    {
        try
        {
            return File.Exists(MemInfoPath) ? ParseMemInfo(File.ReadAllText(MemInfoPath)) : null;
        }
        catch (IOException ex)
        {
            LogUnreadable(logger, "RAM", ex.Message);
            return null;
        }
    }

    private SpaceUse? ReadDisk()
    {
        try
        {
            var drive = new DriveInfo(_options.WorkDirectory);
            var total = drive.TotalSize;
            return new SpaceUse(Math.Clamp(total - drive.TotalFreeSpace, 0, total), total);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            LogUnreadable(logger, "disk", ex.Message);
            return null;
        }
    }

    private List<GpuTelemetry> ReadGpus()
    {
        var readings = new List<GpuTelemetry>();
        foreach (var device in (_options.Gpus ?? gpus.Devices).Take(AgentResources.MaxGpus))
        {
            try
            {
                readings.Add(ToTelemetry(device.Index, gpus.Read(device.Index)));
            }
            catch (GpuMonitorException ex)
            {
                LogUnreadable(logger, $"GPU {device.Index}", ex.Message);
            }
        }

        return readings;
    }

    [LoggerMessage(41, LogLevel.Debug, "Could not read the machine's {Part} use: {Reason}", EventName = "UsageUnreadable")]
    private static partial void LogUnreadable(ILogger logger, string part, string reason);
}
