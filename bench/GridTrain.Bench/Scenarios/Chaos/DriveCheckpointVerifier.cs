using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using GridTrain.Checkpoints.Stores;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// Verifies a committed checkpoint on the fake Drive from its own bytes: the manifest the URI names exists, names
/// its job, and the data file it names exists with the size and SHA-256 the manifest records.
/// </summary>
internal static class DriveCheckpointVerifier
{
    /// <summary>Null when the checkpoint verifies, else why not.</summary>
    public static string? Verify(FakeDriveServer drive, string jobId, string uri)
    {
        if (DriveCheckpointUri.ManifestId(uri) is not { } manifestId)
        {
            return $"'{uri}' is not a Drive checkpoint";
        }

        var files = drive.AllFiles.ToDictionary(f => f.Id);
        if (!files.TryGetValue(manifestId, out var manifestFile) || manifestFile.Content is null)
        {
            return $"its manifest {manifestId} is not on Drive";
        }

        using var manifest = JsonDocument.Parse(manifestFile.Content);
        var root = manifest.RootElement;
        var job = root.GetProperty("jobId").GetString();
        var fileId = root.GetProperty("fileId").GetString() ?? "";
        var size = root.GetProperty("sizeBytes").GetInt64();
        var sha256 = root.GetProperty("sha256").GetString() ?? "";
        if (job != jobId)
        {
            return $"its manifest names job {job}";
        }

        if (!files.TryGetValue(fileId, out var data) || data.Content is null)
        {
            return $"its data file {fileId} is not on Drive";
        }

        if (data.Content.Length != size)
        {
            return $"its data file has {data.Content.Length} bytes, the manifest says {size}";
        }

        var actual = Convert.ToHexStringLower(SHA256.HashData(data.Content));
        return sha256.Length == 0 || string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase)
            ? null
            : $"its data file's SHA-256 is {actual}, the manifest says {sha256}";
    }

    /// <summary>
    /// What Drive holds of a job and what was deleted of it, oldest first: each file's name, id, kind, size, when it
    /// was created (and deleted) and, for a manifest, the data file it names.
    /// </summary>
    public static IReadOnlyList<string> Describe(FakeDriveServer drive, string jobId)
    {
        var present = drive.AllFiles.Select(f => (File: f, Size: (long)(f.Content?.Length ?? 0), DeletedAt: (DateTimeOffset?)null));
        var deleted = drive.Deleted.Select(d => (d.File, d.Size, DeletedAt: (DateTimeOffset?)d.DeletedAt));
        return [.. present.Concat(deleted)
            .Where(f => !f.File.IsFolder && f.File.AppProperties.TryGetValue("job", out var job) && job == jobId)
            .OrderBy(f => f.File.CreatedTime)
            .Select(f => string.Create(
                CultureInfo.InvariantCulture,
                $"{f.File.Name} (id {f.File.Id}, {f.File.AppProperties.GetValueOrDefault("kind", "?")}, {f.Size} bytes, created {f.File.CreatedTime:HH:mm:ss.fff}{(f.DeletedAt is { } at ? $", deleted {at:HH:mm:ss.fff}" : "")}{(f.File.AppProperties.TryGetValue("data", out var data) ? $", data {data}" : "")})"))];
    }
}
