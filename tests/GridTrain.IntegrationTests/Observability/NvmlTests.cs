using System.Runtime.InteropServices;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Gpu.Nvml;
using Microsoft.Extensions.Logging;

namespace GridTrain.IntegrationTests.Observability;

/// <summary>The real NVML path on this machine: without the driver, no GPUs and one log line; with it, the GPUs it lists.</summary>
public sealed class NvmlTests
{
    [Fact]
    public void Open_UsesNvmlWhereTheDriverIsInstalled_ElseNoGpusWithOneLogLine()
    {
        var logger = new CapturingLogger();
        var driverPresent = NativeLibrary.TryLoad("libnvidia-ml.so.1", out _);

        using var monitor = GpuMonitors.Open(logger);

        var line = Assert.Single(logger.Lines);
        if (driverPresent)
        {
            Assert.IsType<NvmlGpuMonitor>(monitor);
            Assert.Contains("NVML found", line, StringComparison.Ordinal);
            Assert.All(monitor.Devices, d => Assert.StartsWith("GPU-", d.Uuid, StringComparison.Ordinal));
        }
        else
        {
            Assert.IsType<NoGpus>(monitor);
            Assert.Empty(monitor.Devices);
            Assert.Contains("libnvidia-ml.so.1 not found", line, StringComparison.Ordinal);
            Assert.Equal(LogLevel.Information, logger.Levels.Single());
            Assert.Throws<GpuMonitorException>(() => monitor.Read(0));
        }
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Lines.Add(formatter(state, exception));
            Levels.Add(logLevel);
        }
    }
}
