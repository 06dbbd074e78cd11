using System.Text.RegularExpressions;
using Grpc.Core;
using GridTrain.Protos.V1;

namespace GridTrain.Controller.Security;

/// <summary>
/// Checks on request fields made at the edge, before the domain sees them: ids, names and paths, and the sizes and
/// counts of a job spec. Each failure is INVALID_ARGUMENT naming the field, without echoing long or secret input.
/// </summary>
internal static partial class RequestLimits
{
    public const int MaxIdLength = 64;
    public const int MaxDisplayName = 128;
    public const int MaxHiddenLayers = 64;
    public const int MaxDescription = 256;

    /// <summary>A controller-assigned id: required, 1-64 characters of a-z, 0-9 and '-'.</summary>
    public static void Id(string value, string field)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw Invalid($"{field}: required");
        }

        if (!IdPattern().IsMatch(value))
        {
            throw Invalid($"{field}: not an id (1-{MaxIdLength} characters of a-z, 0-9 and '-')");
        }
    }

    /// <summary>
    /// A free-form display name: at most 128 characters, no control characters, path separators or percent-encoded
    /// characters, not '.' or '..' (so it is safe wherever it ends up, a file name included).
    /// </summary>
    public static void DisplayName(string value, string field)
    {
        if (value.Length > MaxDisplayName)
        {
            throw Invalid($"{field}: at most {MaxDisplayName} characters, got {value.Length}");
        }

        if (value.Any(char.IsControl) || value.Contains('/', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal)
            || value is "." or ".." || PercentEncoded().IsMatch(value))
        {
            throw Invalid($"{field}: must not contain control characters, '/', '\\' or percent-encoded characters, nor be '.' or '..'");
        }
    }

    /// <summary>A user name: 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.</summary>
    public static void UserName(string value, string field)
    {
        if (!UserPattern().IsMatch(value) || value.Contains("..", StringComparison.Ordinal))
        {
            throw Invalid($"{field}: 1-64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit");
        }
    }

    /// <summary>Free text such as a token description: bounded, without control characters.</summary>
    public static void Text(string value, string field, int max)
    {
        if (value.Length > max || value.Any(char.IsControl))
        {
            throw Invalid($"{field}: at most {max} characters, without control characters");
        }
    }

    /// <summary>Sizes, counts, names and paths of a job spec.</summary>
    public static void Spec(JobSpec? spec, IReadOnlyList<string> datasetRoots, string field = "spec")
    {
        if (spec is null)
        {
            return;
        }

        if (spec.Model is { } model && model.HiddenSizes.Count > MaxHiddenLayers)
        {
            throw Invalid($"{field}.model.hidden_sizes: at most {MaxHiddenLayers} layers, got {model.HiddenSizes.Count}");
        }

        if (spec.Model is { Name.Length: > MaxIdLength })
        {
            throw Invalid($"{field}.model.name: at most {MaxIdLength} characters");
        }

        DisplayName(spec.DisplayName, $"{field}.display_name");
        // Every file a job reads from the agent's disk: absolute, normalized, and inside a dataset root when any are set.
        var paths = new (string? Path, string Field)[]
        {
            (spec.Data?.IdxDirectory, "data.idx_directory"),
            (spec.Data?.Csv?.TrainPath, "data.csv.train_path"),
            (spec.Data?.Csv?.TestPath, "data.csv.test_path"),
            (spec.Model?.Torchscript?.Path, "model.torchscript.path"),
        };
        foreach (var (path, name) in paths)
        {
            if (!string.IsNullOrEmpty(path) && PathRules.Check(path, datasetRoots, $"{field}.{name}") is { } problem)
            {
                throw Invalid(problem);
            }
        }
    }

    /// <summary>Longest log line kept from a report, in characters; longer ones are cut.</summary>
    public const int MaxLogLine = 16 * 1024;

    /// <summary>Longest reason kept from a report, in characters; longer ones are cut.</summary>
    public const int MaxReason = 64 * 1024;

    /// <summary>Longest checkpoint URI or TensorBoard path an agent may report, in characters.</summary>
    public const int MaxReportedPath = 4096;

    /// <summary>
    /// Bounds what an agent reports: a job's own output (log lines, failure reasons) is cut to size, since the job
    /// wrote it and the report must not be lost; an over-long checkpoint URI is refused.
    /// </summary>
    public static void Events(IEnumerable<JobEvent> events)
    {
        var i = 0;
        foreach (var e in events)
        {
            if (e.Log is { } log)
            {
                log.Text = Cut(log.Text, MaxLogLine);
                log.Stream = Cut(log.Stream, 16);
            }

            if (e.StateChanged is { } changed)
            {
                changed.Reason = Cut(changed.Reason, MaxReason);
            }

            if (e.Checkpoint is { } checkpoint && CheckpointProblem(checkpoint.Uri, $"events[{i}].checkpoint.uri") is { } problem)
            {
                throw Invalid(problem);
            }

            i++;
        }
    }

    /// <summary>Bounds a reported job result (see <see cref="Events"/>).</summary>
    public static void Result(JobResult? result)
    {
        if (result is null)
        {
            return;
        }

        result.Reason = Cut(result.Reason, MaxReason);
        if ((result.CheckpointUri.Length > 0 ? CheckpointProblem(result.CheckpointUri, "result.checkpoint_uri") : null) is { } problem)
        {
            throw Invalid(problem);
        }

        if (result.TensorboardDir.Length > MaxReportedPath)
        {
            throw Invalid($"result.tensorboard_dir: at most {MaxReportedPath} characters");
        }
    }

    /// <summary>
    /// A checkpoint location the grid will later hand back as a job's resume point: a normalized absolute path, or a
    /// URI of a store (<c>scheme:…</c>, e.g. <c>gdrive:{id}/{name}</c>) without <c>..</c>, at most 4096 characters.
    /// </summary>
    private static string? CheckpointProblem(string uri, string field)
    {
        if (uri.Length > MaxReportedPath)
        {
            return $"{field}: at most {MaxReportedPath} characters";
        }

        if (StoreUri().IsMatch(uri))
        {
            return uri.Contains("..", StringComparison.Ordinal) || uri.Any(char.IsControl) ? $"{field}: must not contain '..' or control characters" : null;
        }

        return PathRules.Check(uri, [], field);
    }

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    public static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z][a-z0-9+.-]*:")]
    private static partial Regex StoreUri();

    [GeneratedRegex("%[0-9a-fA-F]{2}")]
    private static partial Regex PercentEncoded();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UserPattern();
}
