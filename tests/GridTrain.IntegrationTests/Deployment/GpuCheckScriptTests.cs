using System.Diagnostics;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// scripts/gpu-check.sh, the one GPU proof, run here so it cannot rot: on the test's own build of the CLI (the script's
/// GRIDTRAIN_APP, instead of its slow self-contained publish), every step that needs no GPU passes, and on a machine
/// without one every GPU step says SKIP and the script exits 0.
/// </summary>
public sealed class GpuCheckScriptTests
{
    private static readonly string[] GpuSteps = ["nvml-inventory", "advertised", "gpu-health", "gpu-metrics", "cuda", "job-sees-gpu", "busy-gpu", "idle-gpu", "why-idle"];
    private static readonly string[] HostSteps = ["build", "controller", "agent", "controller-metrics", "agent-metrics"];

    [Fact]
    public async Task GpuCheck_OnThisBuild_HostStepsPass_GpuStepsSkipWithoutAGpu()
    {
        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot.Path, "scripts", "gpu-check.sh"));
        start.Environment["GRIDTRAIN_APP"] = AppContext.BaseDirectory;
        start.Environment["PATH"] = Path.GetDirectoryName(Dotnet.Host) + ":" + Environment.GetEnvironmentVariable("PATH");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var report = $"exit {process.ExitCode}\n{await output}\n{await errors}";

        foreach (var step in HostSteps)
        {
            Assert.True(lines.Any(l => l.StartsWith($"gpu-check: PASS {step}: ", StringComparison.Ordinal)), $"step {step} did not pass:\n{report}");
        }

        var hasGpu = File.Exists("/usr/bin/nvidia-smi") || File.Exists("/usr/local/bin/nvidia-smi");
        foreach (var step in GpuSteps)
        {
            var verdict = lines.SingleOrDefault(l => l.StartsWith("gpu-check: ", StringComparison.Ordinal) && l.Contains($" {step}: ", StringComparison.Ordinal));
            Assert.True(verdict is not null, $"step {step} printed no verdict:\n{report}");
            Assert.True(hasGpu ? !verdict.Contains("FAIL", StringComparison.Ordinal) : verdict.StartsWith($"gpu-check: SKIP {step}: ", StringComparison.Ordinal), $"step {step}: {verdict}\n{report}");
        }

        Assert.True(process.ExitCode == 0, report);
        Assert.All(lines, l => Assert.Matches("^gpu-check: (PASS|FAIL|SKIP) [a-z-]+: .+", l));
    }
}
