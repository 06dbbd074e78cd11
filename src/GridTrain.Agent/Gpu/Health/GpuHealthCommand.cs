using System.Diagnostics;

namespace GridTrain.Agent.Gpu.Health;

/// <summary>Runs the operator's GPU health command (<see cref="GpuHealthOptions.Command"/>) through <c>/bin/sh -c</c>, with its timeout.</summary>
internal static class GpuHealthCommand
{
    /// <summary>Null when the command exits 0; otherwise why it failed (its exit code and last line of output, or the timeout).</summary>
    public static async Task<string?> RunAsync(string command, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("/bin/sh did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            await process.WaitForExitAsync(linked.Token);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            await process.WaitForExitAsync(cancellationToken);
            return $"health command timed out after {timeout}";
        }

        if (process.ExitCode == 0)
        {
            return null;
        }

        var said = (await errors + "\n" + await output).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return $"health command exited {process.ExitCode}{(said.Length > 0 ? ": " + (said.Length > 120 ? said[..120] : said) : "")}";
    }
}
