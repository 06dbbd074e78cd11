using System.Runtime.InteropServices;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Commands;

/// <summary><c>--metrics-listen</c> on both run commands, and <c>agent gpus</c> on this machine.</summary>
public sealed class MetricsOptionsTests
{
    private readonly TestCli _cli = new();

    [Theory]
    [InlineData("controller", "run", "--data-dir", "/tmp/unused", "--metrics-listen", "localhost")]
    [InlineData("agent", "run", "--controller", "http://127.0.0.1:7070", "--metrics-listen", "9464")]
    public async Task MetricsListen_NotHostPort_ExitsTwoNamingTheOption(params string[] args)
    {
        var run = await _cli.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("--metrics-listen: '", run.Error, StringComparison.Ordinal);
        Assert.Contains("is not HOST:PORT", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task AgentGpus_ListsWhatNvmlSees_OneLinePerGpuThenTheCount()
    {
        var driverPresent = NativeLibrary.TryLoad("libnvidia-ml.so.1", out _);

        var run = await _cli.RunAsync("agent", "gpus");

        Assert.Equal(0, run.ExitCode);
        var gpuLines = run.OutLines.Where(l => l.StartsWith("gpu ", StringComparison.Ordinal)).ToList();
        Assert.Equal($"nvml gpus={gpuLines.Count}", run.OutLines.Last());
        Assert.All(gpuLines, line => Assert.Matches(@"^gpu \d+ uuid=GPU-\S+ model="".+"" memory_total_bytes=\d+ utilization=", line));
        if (!driverPresent)
        {
            Assert.Empty(gpuLines);
        }
    }
}
