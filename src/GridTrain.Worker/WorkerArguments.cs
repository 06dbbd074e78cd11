namespace GridTrain.Worker;

/// <summary>The command line: <c>--request &lt;path-to-WorkerRequest.json&gt;</c>.</summary>
internal sealed record WorkerArguments(string RequestPath)
{
    public const string Usage = "usage: GridTrain.Worker --request <path-to-WorkerRequest.json>";

    /// <summary>Parses the command line; null with <paramref name="error"/> set when it is not valid.</summary>
    public static WorkerArguments? Parse(IReadOnlyList<string> args, out string error)
    {
        if (args.Count == 2 && args[0] == "--request" && !string.IsNullOrWhiteSpace(args[1]))
        {
            error = "";
            return new WorkerArguments(args[1]);
        }

        error = Usage;
        return null;
    }
}
