using Google.Protobuf;

namespace GridTrain.Cli.Output;

/// <summary>Prints a command's result as JSON or as its table view.</summary>
internal static class ResultOutput
{
    /// <summary>The <paramref name="view"/> writes the table view, given the current time (for ages).</summary>
    public static void Print(this CliContext context, OutputFormat format, IMessage message, Action<TextWriter, DateTimeOffset> view)
    {
        if (format == OutputFormat.Json)
        {
            context.Out.WriteLine(ProtoJson.Format(message));
            return;
        }

        view(context.Out, context.Time.GetUtcNow());
    }
}
