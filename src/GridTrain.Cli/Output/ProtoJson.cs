using Google.Protobuf;

namespace GridTrain.Cli.Output;

/// <summary>API messages as protobuf JSON (camelCase names, enum names, RFC 3339 times), as scripts expect from gRPC tools.</summary>
internal static class ProtoJson
{
    private static readonly JsonFormatter Indented = new(JsonFormatter.Settings.Default.WithIndentation());
    private static readonly JsonFormatter Compact = new(JsonFormatter.Settings.Default);

    /// <summary>One message, indented.</summary>
    public static string Format(IMessage message) => Indented.Format(message);

    /// <summary>One message on one line, for streams of messages (JSON Lines).</summary>
    public static string FormatLine(IMessage message) => Compact.Format(message);
}
