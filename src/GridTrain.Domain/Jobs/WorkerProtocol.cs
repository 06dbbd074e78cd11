using System.Text.Json;
using System.Text.Json.Serialization;

namespace GridTrain.Domain.Jobs;

/// <summary>The line protocol between an agent and its job processes.</summary>
public static class WorkerProtocol
{
    /// <summary>Marks a standard-output line as a protocol event; any other line is the job's own output.</summary>
    public const string LinePrefix = "@gridtrain ";

    /// <summary>
    /// Worker flag: stop (checkpoint and exit, as on SIGTERM) when standard input reaches end of file. The agent keeps
    /// the pipe open for the job's life, so the job stops when its agent dies, even by SIGKILL.
    /// </summary>
    public const string StopWhenStdinClosesFlag = "--stop-when-stdin-closes";

    /// <summary>Exit code of a job process whose training failed through a user error (not retried).</summary>
    public const int UserErrorExitCode = 2;

    /// <summary>Serializer options shared by both ends.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Format(TrainingEvent data) => LinePrefix + JsonSerializer.Serialize(data, JsonOptions);

    /// <summary>Parses a protocol line; returns null for a line that is not one (plain output).</summary>
    public static TrainingEvent? TryParse(string line)
    {
        if (!line.StartsWith(LinePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<TrainingEvent>(line.AsSpan(LinePrefix.Length), JsonOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
