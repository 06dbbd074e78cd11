using System.Globalization;
using System.Text.RegularExpressions;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Finds the checkpoints a command job commits: a file renamed into <c>GRIDTRAIN_CHECKPOINT_DIR</c> (never one ending in
/// <c>.tmp</c> or starting with '.', which are still being written) is complete. Files there before the job started (the
/// checkpoint it resumes from) are not new. A checkpoint's step is the last number in its name (<c>ckpt-1200.pt</c>),
/// else the step of the newest progress line of the events file, else 0.
/// </summary>
internal sealed partial class CheckpointDirectoryWatcher
{
    private readonly string _directory;
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    public CheckpointDirectoryWatcher(string directory)
    {
        _directory = directory;
        foreach (var existing in Files())
        {
            _seen.Add(existing.Name);
        }
    }

    /// <summary>The checkpoints committed since the last call, oldest first.</summary>
    public IReadOnlyList<CheckpointWritten> Scan(long? lastStep)
    {
        var found = new List<CheckpointWritten>();
        foreach (var file in Files().Where(f => !_seen.Contains(f.Name)).OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal))
        {
            _seen.Add(file.Name);
            found.Add(new CheckpointWritten(StepOf(file.Name) ?? lastStep ?? 0, file.FullName));
        }

        return found;
    }

    /// <summary>The last number in a checkpoint's file name; null when it has none.</summary>
    public static long? StepOf(string fileName)
    {
        var numbers = Number().Matches(Path.GetFileNameWithoutExtension(fileName));
        return numbers.Count > 0 && long.TryParse(numbers[^1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    private IEnumerable<FileInfo> Files() =>
        Directory.Exists(_directory)
            ? new DirectoryInfo(_directory).EnumerateFiles().Where(f => !f.Name.StartsWith('.') && !f.Name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase))
            : [];

    [GeneratedRegex("[0-9]{1,18}")]
    private static partial Regex Number();
}
