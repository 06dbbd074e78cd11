using GridTrain.Domain.Jobs;

namespace GridTrain.Worker;

/// <summary>The command line: <c>--request &lt;path-to-WorkerRequest.json&gt; [--stop-when-stdin-closes]</c>.</summary>
internal sealed record WorkerArguments(string RequestPath, bool StopWhenStdinCloses)
{
    public const string Usage = "usage: GridTrain.Worker --request <path-to-WorkerRequest.json> [" + WorkerProtocol.StopWhenStdinClosesFlag + "]";

    /// <summary>Parses the command line; null with <paramref name="error"/> set when it is not valid.</summary>
    public static WorkerArguments? Parse(IReadOnlyList<string> args, out string error)
    {
        var watchStdin = args.Count == 3 && args[2] == WorkerProtocol.StopWhenStdinClosesFlag;
        if ((args.Count == 2 || watchStdin) && args[0] == "--request" && !string.IsNullOrWhiteSpace(args[1]))
        {
            error = "";
            return new WorkerArguments(args[1], watchStdin);
        }

        error = Usage;
        return null;
    }
}
