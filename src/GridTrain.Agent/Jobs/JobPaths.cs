using System.Text.RegularExpressions;

namespace GridTrain.Agent.Jobs;

/// <summary>Guards the paths an agent builds from what the controller sends: a job id becomes a directory name only if it is a plain name.</summary>
internal static partial class JobPaths
{
    /// <summary>The problem with a job id as a directory name; null when it is safe.</summary>
    public static string? Check(string jobId) =>
        SafeName().IsMatch(jobId) ? null : "job id is not a plain name (a-z, 0-9 and '-')";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex SafeName();
}
