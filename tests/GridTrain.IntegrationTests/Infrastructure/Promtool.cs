using System.Diagnostics;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary><c>promtool check metrics</c> (Debian's <c>prometheus</c> package): lints a scrape in the text format.</summary>
public static class Promtool
{
    private const string Binary = "/usr/bin/promtool";

    /// <summary>Runs the lint on <paramref name="scrape"/>; returns its exit code and everything it printed (empty when clean).</summary>
    public static async Task<(int ExitCode, string Output)> CheckMetricsAsync(string scrape)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException("promtool is not installed: apt-get install -y prometheus (.ci/run does this)");
        }

        var startInfo = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            ArgumentList = { "check", "metrics" },
        };
        using var process = Process.Start(startInfo)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(scrape);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, ((await stdout) + (await stderr)).Trim());
    }
}
