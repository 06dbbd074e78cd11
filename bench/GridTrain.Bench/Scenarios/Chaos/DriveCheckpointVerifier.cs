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
}
