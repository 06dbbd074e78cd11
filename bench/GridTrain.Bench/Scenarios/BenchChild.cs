using System.Diagnostics;

namespace GridTrain.Bench.Scenarios;

/// <summary>Starts this benchmark again as a child process running one of its internal roles, talking over stdin/stdout.</summary>
internal static class BenchChild
{
    public static Process Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            startInfo.ArgumentList.Add(typeof(BenchChild).Assembly.Location);
        }

        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        return Process.Start(startInfo)!;
    }
}
