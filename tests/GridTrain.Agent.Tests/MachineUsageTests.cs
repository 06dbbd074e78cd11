using GridTrain.Agent.Gpu;
using GridTrain.Agent.Inventory;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Tests;

/// <summary>The machine's use in every heartbeat: RAM from /proc/meminfo, the work directory's disk, each GPU NVML can read.</summary>
public sealed class MachineUsageTests
{
    [Fact]
    public void MemInfo_UsedIsTotalLessAvailable_InBytes()
    {
        const string text = "MemTotal:       16318480 kB\nMemFree:         1000000 kB\nMemAvailable:    8159240 kB\nBuffers:          200000 kB\n";

        var memory = MachineUsage.ParseMemInfo(text);

        Assert.Equal(new SpaceUse((16318480L - 8159240L) * 1024, 16318480L * 1024), memory);
    }

    [Fact]
    public void MemInfo_WithoutMemAvailable_IsNoReading() =>
        Assert.Null(MachineUsage.ParseMemInfo("MemTotal:       16318480 kB\nMemFree:         1000000 kB\n"));

    [Fact]
    public void GpuReading_IsClampedToWhatTheControllerAccepts()
    {
        var telemetry = MachineUsage.ToTelemetry(3, new GpuReading(1.2, 90, 80, null, null));

        Assert.Equal(new GpuTelemetry(3, 1.0, 80, 80), telemetry);
        Assert.Empty(new AgentResources(null, null, [telemetry]).Validate());
        Assert.Null(MachineUsage.ToTelemetry(0, new GpuReading(double.NaN, null, null, null, null)).Utilization);
    }

    [Fact]
    public async Task Heartbeat_CarriesRamDiskAndEveryReadableGpu()
    {
        var gpus = new FixedGpus(
            new Dictionary<int, GpuReading> { [0] = new(0.42, 3L << 30, 80L << 30, 50, 300) },
            new GpuDevice(0, "GPU-0", "NVIDIA H100 80GB HBM3", 80L << 30),
            new GpuDevice(1, "GPU-1", "NVIDIA H100 80GB HBM3", 80L << 30));
        await using var harness = new AgentHarness(gpus: gpus);
        await harness.StartAsync();

        var heartbeat = await harness.HeartbeatAsync(h => h.Resources is not null);

        var resources = heartbeat.Resources!;
        Assert.Equal(new GpuTelemetry(0, 0.42, 3L << 30, 80L << 30), Assert.Single(resources.Gpus));
        Assert.NotNull(resources.Disk);
        Assert.True(resources.Disk.TotalBytes > 0 && resources.Disk.UsedBytes <= resources.Disk.TotalBytes);
        if (File.Exists("/proc/meminfo"))
        {
            Assert.True(resources.Memory?.TotalBytes > 0);
        }

        Assert.Empty(resources.Validate());
    }
}
