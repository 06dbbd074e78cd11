namespace GridTrain.Worker;

/// <summary>The reason reported for an unexpected exception: its type, message and first stack lines.</summary>
internal static class FailureReason
{
    private const int StackLines = 5;

    public static string Of(Exception exception)
    {
        var stack = (exception.StackTrace ?? "")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Take(StackLines);
        return string.Join('\n', [$"{exception.GetType().FullName}: {exception.Message}", .. stack]);
    }
}
