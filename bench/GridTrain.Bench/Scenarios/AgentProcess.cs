using System.Diagnostics;
using System.Threading.Channels;

namespace GridTrain.Bench.Scenarios;

/// <summary>A real agent process (<c>gridtrain agent run</c>) whose output can be awaited line by line.</summary>
internal sealed class AgentProcess : IDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private AgentProcess(Process process, string workDirectory)
    {
        _process = process;
        WorkDirectory = workDirectory;
    }

    public string WorkDirectory { get; }

    public static AgentProcess Start(Uri controller, string name, string workDirectory, string joinToken)
    {
        var startInfo = new ProcessStartInfo(DotnetHost()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "exec", Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"), "agent", "run", "--controller", controller.ToString(), "--name", name, "--work-dir", workDirectory, "--cpu-slots", "1" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["GRIDTRAIN_JOIN_TOKEN"] = joinToken;
        var agent = new AgentProcess(Process.Start(startInfo)!, workDirectory);
        _ = agent.PumpAsync(agent._process.StandardOutput);
        _ = agent.PumpAsync(agent._process.StandardError);
        return agent;
    }

    public async Task WaitForLineAsync(string text, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await foreach (var line in _lines.Reader.ReadAllAsync(cts.Token))
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                return;
            }
        }
    }

    /// <summary>SIGKILL, as a machine dying would.</summary>
    public void Kill() => _process.Kill(entireProcessTree: false);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            _lines.Writer.TryWrite(line);
        }
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
}
