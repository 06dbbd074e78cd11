using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using GridTrain.Domain.Jobs;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Takes the checkpoints a command job commits: a file renamed into <c>GRIDTRAIN_CHECKPOINT_DIR</c> (never one ending in
/// <c>.tmp</c> or starting with '.', which are still being written) is complete. The agent moves it into the attempt's
/// own directory (<paramref name="committedDirectory"/>, so a program may commit under the same name again and the
/// agent's manifest never mixes with its files) and writes its manifest next to it, as the built-in worker does. The
/// file restored before the start (the checkpoint resumed from) is not new unless the program writes over it. A
/// checkpoint's step is the last number in its name (<c>ckpt-1200.pt</c>), else the step of the newest progress line of
/// the events file, else 0.
/// </summary>
internal sealed partial class CheckpointDirectoryWatcher(string directory, string committedDirectory)
{
    private readonly Dictionary<string, (DateTime Written, long Length)> _initial = Snapshot(directory);
    private int _taken;

    /// <summary>The checkpoints committed since the last call, oldest first, each moved and described by a manifest.</summary>
    public IReadOnlyList<CheckpointWritten> Scan(long? lastStep)
    {
        var found = new List<CheckpointWritten>();
        foreach (var file in Files().Where(IsNew).OrderBy(f => f.LastWriteTimeUtc).ThenBy(f => f.Name, StringComparer.Ordinal).ToList())
        {
            var step = StepOf(file.Name) ?? lastStep ?? 0;
            var target = Path.Combine(committedDirectory, (++_taken).ToString("D6", CultureInfo.InvariantCulture), SpoolName(file.Name));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Move(file.FullName, target);
            _initial.Remove(file.Name);
            WriteManifest(target, file.Name, step);
            found.Add(new CheckpointWritten(step, target));
        }

        return found;
    }

    /// <summary>The last number in a checkpoint's file name; null when it has none.</summary>
    public static long? StepOf(string fileName)
    {
        var numbers = Number().Matches(Path.GetFileNameWithoutExtension(fileName));
        return numbers.Count > 0 && long.TryParse(numbers[^1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var step) ? step : null;
    }

    /// <summary>The name the checkpoint keeps; one ending in <c>.json</c> gets a suffix so its manifest never replaces it.</summary>
    private static string SpoolName(string name) => Path.GetExtension(name).Equals(".json", StringComparison.OrdinalIgnoreCase) ? name + ".data" : name;

    private static void WriteManifest(string checkpoint, string name, long step)
    {
        string sha256;
        long length;
        using (var stream = File.OpenRead(checkpoint))
        {
            length = stream.Length;
            sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        var manifest = Path.ChangeExtension(checkpoint, ".json");
        File.WriteAllText(manifest + ".tmp", JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["format"] = "gridtrain-command/1",
            ["file"] = name,
            ["step"] = step,
            ["size"] = length,
            ["sha256"] = sha256,
        }));
        File.Move(manifest + ".tmp", manifest, overwrite: true);
    }

    private bool IsNew(FileInfo file) =>
        !_initial.TryGetValue(file.Name, out var before) || before != (file.LastWriteTimeUtc, file.Length);

    private IEnumerable<FileInfo> Files() => Committed(directory);

    private static Dictionary<string, (DateTime Written, long Length)> Snapshot(string directory) =>
        Committed(directory).ToDictionary(f => f.Name, f => (f.LastWriteTimeUtc, f.Length), StringComparer.Ordinal);

    private static IEnumerable<FileInfo> Committed(string directory) =>
        Directory.Exists(directory)
            ? new DirectoryInfo(directory).EnumerateFiles().Where(f => !f.Name.StartsWith('.') && !f.Name.EndsWith(".tmp", StringComparison.OrdinalIgnoreCase))
            : [];

    [GeneratedRegex("[0-9]{1,18}")]
    private static partial Regex Number();
}
