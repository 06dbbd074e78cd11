using System.Diagnostics;
using GridTrain.Client;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Deployment;

/// <summary>
/// What the images are built from, checked without a container engine: both Dockerfiles publish with
/// scripts/publish-image.sh, and that very script, run here, publishes a CLI without libtorch (the controller image
/// carries none; the agent image adds CUDA libtorch next to TorchSharp's native shim) whose controller serves.
/// </summary>
public sealed class ImagePublishTests : IDisposable
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-publish-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Dockerfiles_PublishWithTheScript_FromPinnableBaseImages()
    {
        foreach (var dockerfile in new[] { "Dockerfile.controller", "Dockerfile.agent" })
        {
            var lines = File.ReadAllLines(Path.Combine(RepositoryRoot.Path, dockerfile));
            Assert.Equal("# syntax=docker/dockerfile:1", lines[0]);
            Assert.Contains(lines, l => l.Trim() == "scripts/publish-image.sh /app");
            Assert.DoesNotContain(lines, l => l.Contains("dotnet publish", StringComparison.Ordinal) && !l.TrimStart().StartsWith('#'));
            Assert.All(lines.Where(l => l.StartsWith("ARG ", StringComparison.Ordinal) && l.Contains("_IMAGE=", StringComparison.Ordinal)),
                l => Assert.Matches(@"^ARG [A-Z_]+_IMAGE=[a-z0-9./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?$", l));
        }

        var agent = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Dockerfile.agent"));
        Assert.Contains("ARG CUDA_IMAGE=nvidia/cuda:12.8.1-base-ubuntu24.04", agent, StringComparison.Ordinal);
        Assert.DoesNotContain("cudnn-runtime", agent.Split('\n').Where(l => !l.StartsWith('#')), StringComparer.Ordinal);
    }

    [Fact]
    public async Task PinImages_ListsEveryBaseImage_AndCheckSaysWhichAreUnpinned()
    {
        var (listed, list) = await RunAsync("/bin/bash", [Path.Combine(RepositoryRoot.Path, "scripts", "pin-images.sh"), "--list"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, listed);
        Assert.Equal(
            ["mcr.microsoft.com/dotnet/aspnet:10.0", "mcr.microsoft.com/dotnet/sdk:10.0", "nvidia/cuda:12.8.1-base-ubuntu24.04", "ubuntu:24.04"],
            list.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var (checkedCode, check) = await RunAsync("/bin/bash", [Path.Combine(RepositoryRoot.Path, "scripts", "pin-images.sh"), "--check"], TimeSpan.FromSeconds(30));
        var pinned = !check.Contains("not pinned", StringComparison.Ordinal);
        Assert.Equal(pinned ? 0 : 1, checkedCode);
    }

    [Fact]
    public async Task PublishScript_PublishesWithoutLibTorch_AndItsControllerServes()
    {
        var output = Path.Combine(_root, "app");
        var (exitCode, log) = await RunAsync(
            "/bin/bash",
            [Path.Combine(RepositoryRoot.Path, "scripts", "publish-image.sh"), output, "--artifacts-path", Path.Combine(_root, "artifacts"), "-v", "quiet"],
            PublishTimeout);
        Assert.True(exitCode == 0, log);

        var files = Directory.GetFiles(output, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(output, f)).ToList();
        Assert.DoesNotContain(files, f => Path.GetFileName(f).StartsWith("libtorch", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("libc10", StringComparison.Ordinal));
        Assert.Contains("gridtrain.dll", files);
        Assert.Contains("GridTrain.Worker.dll", files);
        Assert.Contains("TorchSharp.dll", files);
        Assert.Contains(Path.Combine("runtimes", "linux-x64", "native", "libLibTorchSharp.so"), files);
        Assert.Equal(["linux-x64"], Directory.GetDirectories(Path.Combine(output, "runtimes")).Select(Path.GetFileName));
        Assert.DoesNotContain("libtorch-cpu", File.ReadAllText(Path.Combine(output, "gridtrain.deps.json")), StringComparison.Ordinal);

        await using var controller = await ControllerFromAsync(output);
        using var client = new GridTrainClient(controller.Address);
        var agents = await client.Fleet.ListAgentsAsync(new ListAgentsRequest());
        Assert.Empty(agents.Agents);
    }

    private async Task<PublishedController> ControllerFromAsync(string app)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { Path.Combine(app, "gridtrain.dll"), "controller", "run", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_root, "data") })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = Process.Start(startInfo)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token);
        const string prefix = "listening on ";
        if (line is null || !line.StartsWith(prefix, StringComparison.Ordinal))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(timeout.Token);
            Assert.Fail($"the published controller did not listen: {line}\n{await stderr}");
        }

        return new PublishedController(process, new Uri(line[prefix.Length..].Trim()), stderr);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IEnumerable<string> arguments, TimeSpan limit)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(limit);
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', startInfo.ArgumentList)} ran over {limit}");
        }

        return (process.ExitCode, (await stdout) + (await stderr));
    }

    private sealed class PublishedController(Process process, Uri address, Task<string> stderr) : IAsyncDisposable
    {
        public Uri Address { get; } = address;

        public async ValueTask DisposeAsync()
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            await stderr;
            process.Dispose();
        }
    }
}
