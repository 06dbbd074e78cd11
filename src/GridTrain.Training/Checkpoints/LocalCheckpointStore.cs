using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GridTrain.Training.Checkpoints;

/// <summary>
/// Checkpoints in one directory as <c>ckpt-{step:D9}.bin</c> plus a <c>.json</c> manifest. Each file is written under a
/// temporary name and renamed into place, the manifest last, so a reader never sees a partial checkpoint. Only the
/// newest <c>keepLast</c> are kept.
/// </summary>
internal sealed partial class LocalCheckpointStore
{
    private const string TemporarySuffix = ".tmp";
    private static readonly JsonSerializerOptions s_manifestJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private readonly string _directory;
    private readonly int? _keepLast;
    private readonly CheckpointIdentity _identity;
    private readonly TimeProvider _timeProvider;
    private int _lastSize = 1 << 20;
    private MemoryStream? _spare;

    /// <param name="directory">Where the checkpoints go; created if missing.</param>
    /// <param name="keepLast">Newest checkpoints kept; null keeps all (someone else prunes).</param>
    /// <param name="identity">What every manifest records about the job, model and data.</param>
    /// <param name="timeProvider">Clock for manifest times.</param>
    public LocalCheckpointStore(string directory, int? keepLast, CheckpointIdentity identity, TimeProvider timeProvider)
    {
        if (keepLast is { } keep)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        }

        _directory = directory;
        _keepLast = keepLast;
        _identity = identity;
        _timeProvider = timeProvider;
    }

    public static string FileName(long step) => string.Create(CultureInfo.InvariantCulture, $"ckpt-{step:D9}.bin");

    public static string ManifestPath(string checkpointPath) => Path.ChangeExtension(checkpointPath, ".json");

    /// <summary>Writes a checkpoint of the run at <paramref name="cursor"/> and returns its full path.</summary>
    public string Write(TrainingCursor cursor, nn.Module model, OptimizerHelper optimizer) => Persist(Snapshot(cursor, model, optimizer));

    /// <summary>
    /// Serializes the run at <paramref name="cursor"/> into memory: the only part of a checkpoint that must happen
    /// between two training steps. <see cref="Persist"/> writes it out, on any thread.
    /// </summary>
    public CheckpointSnapshot Snapshot(TrainingCursor cursor, nn.Module model, OptimizerHelper optimizer)
    {
        // The buffer of the previous snapshot is reused: a new large buffer per checkpoint would cost a full GC each time.
        var buffer = Interlocked.Exchange(ref _spare, null) ?? new MemoryStream(Volatile.Read(ref _lastSize));
        buffer.SetLength(0);
        CheckpointFile.Write(buffer, new CheckpointHeader(_identity.ModelSignature, cursor), model, optimizer);
        Volatile.Write(ref _lastSize, (int)Math.Min(int.MaxValue, buffer.Length));
        return new CheckpointSnapshot(cursor, buffer);
    }

    /// <summary>
    /// Writes a snapshot under a temporary name, flushes it to disk and renames it into place, then its manifest the
    /// same way, then prunes; returns the checkpoint's full path. One call at a time per store.
    /// </summary>
    public string Persist(CheckpointSnapshot snapshot)
    {
        var cursor = snapshot.Cursor;
        Directory.CreateDirectory(_directory);
        var path = Path.GetFullPath(Path.Combine(_directory, FileName(cursor.Step)));
        var manifestPath = ManifestPath(path);

        string sha256;
        long size;
        using (var stream = new FileStream(path + TemporarySuffix, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var bytes = snapshot.Content.GetBuffer().AsSpan(0, (int)snapshot.Content.Length);
            sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
            size = stream.Length;
        }

        Interlocked.Exchange(ref _spare, snapshot.Content);

        // A manifest left from an earlier attempt at the same step must not vouch for the new file.
        File.Delete(manifestPath);
        File.Move(path + TemporarySuffix, path, overwrite: true);

        var manifest = new CheckpointManifest
        {
            Format = CheckpointFile.FormatVersion,
            File = Path.GetFileName(path),
            Step = cursor.Step,
            Epoch = cursor.Epoch,
            PositionInEpoch = cursor.Position,
            Sha256 = sha256,
            SizeBytes = size,
            Model = _identity.Model,
            ModelSignature = _identity.ModelSignature,
            Data = _identity.Data,
            ModelIdentity = _identity.ModelIdentity,
            DataIdentity = _identity.DataIdentity,
            TorchSharpVersion = CheckpointCompatibility.TorchSharpVersion,
            LibTorchVersion = CheckpointCompatibility.LibTorchVersion,
            Device = _identity.Device,
            JobId = _identity.JobId,
            Attempt = _identity.Attempt,
            CreatedAt = _timeProvider.GetUtcNow(),
        };
        using (var stream = new FileStream(manifestPath + TemporarySuffix, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, manifest, s_manifestJson);
            stream.Flush(flushToDisk: true);
        }

        File.Move(manifestPath + TemporarySuffix, manifestPath, overwrite: true);
        Prune();
        return path;
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/>, <paramref name="optimizer"/> and the CPU RNG, after checking it
    /// against its manifest (when present: integrity, and <see cref="CheckpointCompatibility"/> with
    /// <paramref name="run"/>) and against the model it must fit.
    /// </summary>
    public static TrainingCursor Restore(string path, CheckpointIdentity run, nn.Module model, OptimizerHelper optimizer)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The checkpoint to resume from, {path}, does not exist.", path);
        }

        if (Verify(path) is { } manifest)
        {
            CheckpointCompatibility.Check(path, manifest, run);
        }

        var modelSignature = run.ModelSignature;
        using var reader = new BinaryReader(File.OpenRead(path));
        var header = CheckpointFile.ReadHeader(reader, path);
        if (header.ModelSignature != modelSignature)
        {
            throw new TrainingUserException($"resume_from: {path} holds a model '{header.ModelSignature}', but this job trains '{modelSignature}'");
        }

        CheckpointFile.ReadState(reader, model, optimizer);
        return header.Cursor;
    }

    private static CheckpointManifest? Verify(string path)
    {
        var manifestPath = ManifestPath(path);
        if (!File.Exists(manifestPath))
        {
            return null;
        }

        var manifest = JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(manifestPath), s_manifestJson)
            ?? throw new InvalidDataException($"{manifestPath} is empty");
        using var stream = File.OpenRead(path);
        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
        if (!string.Equals(actual, manifest.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{path} is corrupt: its SHA-256 is {actual}, its manifest says {manifest.Sha256}");
        }

        return manifest;
    }

    private void Prune()
    {
        // Left by a process that died while writing; this run is the only writer of the directory.
        foreach (var temporary in Directory.EnumerateFiles(_directory, "ckpt-*" + TemporarySuffix))
        {
            File.Delete(temporary);
        }

        if (_keepLast is null)
        {
            return;
        }

        var checkpoints = Directory.EnumerateFiles(_directory, "ckpt-*.bin")
            .Select(path => (Path: path, Match: CheckpointName().Match(Path.GetFileName(path))))
            .Where(c => c.Match.Success)
            .OrderByDescending(c => long.Parse(c.Match.Groups[1].Value, CultureInfo.InvariantCulture))
            .Skip(_keepLast.Value);
        foreach (var (path, _) in checkpoints)
        {
            File.Delete(ManifestPath(path));
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"^ckpt-(\d{9,18})\.bin$", RegexOptions.CultureInvariant)]
    private static partial Regex CheckpointName();
}
