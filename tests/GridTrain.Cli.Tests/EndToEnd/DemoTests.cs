using System.Diagnostics;
using System.Text.Json;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.EndToEnd;

/// <summary>The built <c>gridtrain</c> in its own process: <c>demo --json</c> on a small synthetic data set.</summary>
public sealed class DemoTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly TempDirectory _temp = new();

    [Fact]
    public async Task Demo_WithoutFashionMnist_TrainsOnSyntheticDataAndEndsWithJson()
    {
        var workDirectory = _temp.Combine("work");
        var emptyData = Directory.CreateDirectory(_temp.Combine("no-data")).FullName;

        var (exitCode, output, error) = await RunGridTrainAsync("demo", "--json", "--work-dir", workDirectory, "--data", emptyData, "--synthetic-examples", "640");

        Assert.True(exitCode == 0, $"exit code {exitCode}\nstdout:\n{output}\nstderr:\n{error}");
        Assert.Contains($"because {emptyData} lacks train-images-idx3-ubyte.gz", output);
        Assert.Matches(@"web console: http://127\.0\.0\.1:\d+/ \(this link signs you in once: http://127\.0\.0\.1:\d+/#signin=[0-9a-f]{32}&next=%2Fjob%2Fjob-[0-9a-f]{12}\)", output);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        using var summary = JsonDocument.Parse(lines[^1]);
        var root = summary.RootElement;
        Assert.Equal("SUCCEEDED", root.GetProperty("state").GetString());
        Assert.Equal(10, root.GetProperty("steps").GetInt64());
        Assert.Equal("synthetic", root.GetProperty("data").GetString());
        Assert.Equal(workDirectory, root.GetProperty("workDirectory").GetString());
        Assert.InRange(root.GetProperty("testAccuracy").GetDouble(), 0, 1);
        Assert.True(root.GetProperty("samplesPerSecond").GetDouble() > 0);
        Assert.True(File.Exists(root.GetProperty("checkpoint").GetString()), "the final checkpoint exists");
        Assert.True(Directory.Exists(root.GetProperty("tensorboardDir").GetString()), "the TensorBoard directory exists");
        Assert.StartsWith(workDirectory, root.GetProperty("checkpoint").GetString());
    }

    public void Dispose() => _temp.Dispose();

    private static async Task<(int ExitCode, string Output, string Error)> RunGridTrainAsync(params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll") }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"gridtrain {string.Join(' ', args)} did not finish within {Timeout}; stdout so far:\n{await output}");
        }

        return (process.ExitCode, await output, await error);
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : "dotnet";
}
