using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using GridTrain.Checkpoints.Drive;
using Polly;

namespace GridTrain.Checkpoints.Stores;

/// <summary>
/// The <c>gdrive</c> store. Layout: a folder per job (named by the job id) under <see cref="DriveOptions.RootFolderId"/>;
/// in it <c>ckpt-{step}-e{epoch}-a{attempt}.bin</c> and, written only after the file is complete and its MD5/SHA-256
/// as reported by Drive match the local bytes, the manifest <c>….json</c>. Both are tagged with <c>appProperties</c>
/// (job, step, epoch, attempt, kind). Reads check the checksums again.
/// </summary>
public sealed partial class DriveCheckpointStore : ICheckpointStore
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly DriveClient _client;
    private readonly ResiliencePipeline _retry;
    private readonly ResumableUpload _upload;
    private readonly ConcurrentDictionary<string, string> _jobFolders = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _folderLock = new(1, 1);

    public DriveCheckpointStore(DriveClient client, ResiliencePipeline retry)
    {
        _client = client;
        _retry = retry;
        _upload = new ResumableUpload(client, retry);
    }

    public string Kind => "gdrive";

    public bool IsRemote => true;

    public bool Owns(string uri) => DriveCheckpointUri.ManifestId(uri) is not null;

    public async Task<string> StoreAsync(SpooledCheckpoint checkpoint, UploadProgress upload, CancellationToken cancellationToken)
    {
        var localManifest = await ReadLocalManifestAsync(checkpoint.ManifestPath, cancellationToken);
        var folder = await JobFolderAsync(checkpoint.JobId, cancellationToken);
        var name = string.Create(CultureInfo.InvariantCulture, $"ckpt-{checkpoint.Step:D9}-e{checkpoint.LeaseEpoch}-a{checkpoint.Attempt}");
        var properties = new Dictionary<string, string>
        {
            ["gridtrain"] = "checkpoint",
            ["job"] = checkpoint.JobId,
            ["step"] = checkpoint.Step.ToString(CultureInfo.InvariantCulture),
            ["epoch"] = checkpoint.LeaseEpoch.ToString(CultureInfo.InvariantCulture),
            ["attempt"] = checkpoint.Attempt.ToString(CultureInfo.InvariantCulture),
        };

        var localSha = localManifest.TryGetProperty("sha256", out var sha) ? sha.GetString() : null;
        var file = await _upload.UploadAsync(
            checkpoint.Path,
            name + ".bin",
            folder,
            new Dictionary<string, string>(properties) { ["kind"] = "data" },
            localSha,
            upload.Session,
            async session =>
            {
                upload.Session = session;
                await upload.Changed();
            },
            cancellationToken);

        var manifest = new DriveCheckpointManifest
        {
            JobId = checkpoint.JobId,
            Step = checkpoint.Step,
            LeaseEpoch = checkpoint.LeaseEpoch,
            Attempt = checkpoint.Attempt,
            FileId = file.Id,
            FileName = file.Name,
            SizeBytes = file.Size ?? 0,
            Md5 = file.Md5Checksum ?? "",
            Sha256 = file.Sha256Checksum ?? localSha ?? "",
            Metric = checkpoint.Metric,
            Local = localManifest,
        };
        var content = JsonSerializer.SerializeToUtf8Bytes(manifest, s_json);
        var manifestProperties = new Dictionary<string, string>(properties) { ["kind"] = "manifest", ["data"] = file.Id };
        if (checkpoint.Metric is { } metric)
        {
            manifestProperties["metric"] = metric.ToString("R", CultureInfo.InvariantCulture);
        }

        var stored = await _retry.ExecuteAsync(
            async ct =>
            {
                var id = (await _client.GenerateIdsAsync(1, ct))[0];
                return await _client.UploadSmallAsync(name + ".json", folder, manifestProperties, content, id, ct);
            },
            cancellationToken);
        if (!string.Equals(stored.Md5Checksum, Convert.ToHexStringLower(MD5.HashData(content)), StringComparison.OrdinalIgnoreCase))
        {
            await _retry.ExecuteAsync(async ct => await _client.DeleteAsync(stored.Id, ct), cancellationToken);
            throw new DriveException(HttpStatusCode.OK, DriveErrors.ChecksumMismatch, $"the manifest {name}.json arrived altered");
        }

        return DriveCheckpointUri.Format(stored.Id, file.Name);
    }

    public async Task<string> FetchAsync(string uri, string directory, CancellationToken cancellationToken)
    {
        var manifestId = DriveCheckpointUri.ManifestId(uri) ?? throw new ArgumentException($"{uri} is not a Drive checkpoint URI", nameof(uri));
        var manifestFile = await _retry.ExecuteAsync(async ct => await _client.GetAsync(manifestId, ct), cancellationToken);
        var manifestBytes = await _retry.ExecuteAsync(async ct => await _client.DownloadRangeAsync(manifestId, 0, manifestFile.Size ?? 0, ct), cancellationToken);
        if (!string.Equals(manifestFile.Md5Checksum, Convert.ToHexStringLower(MD5.HashData(manifestBytes)), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"the manifest of {uri} does not match its MD5 on Drive");
        }

        var manifest = JsonSerializer.Deserialize<DriveCheckpointManifest>(manifestBytes, s_json)
            ?? throw new InvalidDataException($"the manifest of {uri} is empty");
        var file = await _retry.ExecuteAsync(async ct => await _client.GetAsync(manifest.FileId, ct), cancellationToken);
        if (file.Size != manifest.SizeBytes || !string.Equals(file.Md5Checksum, manifest.Md5, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"{uri}: Drive reports {file.Size} bytes with MD5 {file.Md5Checksum}, the manifest {manifest.SizeBytes} bytes with MD5 {manifest.Md5}");
        }

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, manifest.FileName);
        await using (var output = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
        {
            await _client.DownloadAsync(manifest.FileId, manifest.SizeBytes, output, (range, ct) => _retry.ExecuteAsync(async t => await range(t), ct).AsTask(), cancellationToken);
        }

        var (md5, sha256, size) = await ResumableUpload.HashAsync(path + ".tmp", cancellationToken);
        if (size != manifest.SizeBytes || md5 != manifest.Md5 || (manifest.Sha256.Length > 0 && sha256 != manifest.Sha256))
        {
            File.Delete(path + ".tmp");
            throw new InvalidDataException($"{uri}: the downloaded bytes do not match the manifest's checksums");
        }

        File.Move(path + ".tmp", path, overwrite: true);
        if (manifest.Local is { } local)
        {
            await File.WriteAllTextAsync(Path.ChangeExtension(path, ".json"), local.GetRawText(), cancellationToken);
        }

        return path;
    }

    public async Task<ResumePoint> FetchForResumeAsync(string jobId, string uri, string directory, CancellationToken cancellationToken)
    {
        try
        {
            return new ResumePoint(await FetchAsync(uri, directory, cancellationToken), uri);
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException || (ex is DriveException drive && drive.Status == HttpStatusCode.NotFound))
        {
            var limit = KeyOf(uri);
            var folder = await JobFolderAsync(jobId, cancellationToken);
            var files = await _retry.ExecuteAsync(
                async ct => await _client.ListAsync($"{DriveClient.QueryLiteral(folder)} in parents and trashed = false", ct),
                cancellationToken);
            var candidates = files
                .Where(f => f.Property("kind") == "manifest" && limit is { } max && Key(f).CompareTo(max) <= 0)
                .OrderByDescending(Key);
            foreach (var candidate in candidates)
            {
                var candidateUri = DriveCheckpointUri.Format(candidate.Id, Path.ChangeExtension(candidate.Name, ".bin"));
                if (candidateUri == uri)
                {
                    continue;
                }

                try
                {
                    return new ResumePoint(await FetchAsync(candidateUri, directory, cancellationToken), candidateUri);
                }
                catch (Exception next) when (next is InvalidDataException or JsonException || (next is DriveException d && d.Status == HttpStatusCode.NotFound))
                {
                    // Not valid either: try the one before it.
                }
            }

            throw new InvalidDataException($"the checkpoint to resume from, {uri}, cannot be read ({ex.Message}) and no older valid checkpoint of job {jobId} is on Drive", ex);
        }
    }

    public async Task<int> ApplyRetentionAsync(string jobId, RetentionPolicy policy, CancellationToken cancellationToken)
    {
        var folder = await JobFolderAsync(jobId, cancellationToken);
        var files = await _retry.ExecuteAsync(
            async ct => await _client.ListAsync($"{DriveClient.QueryLiteral(folder)} in parents and trashed = false", ct),
            cancellationToken);
        var manifests = files.Where(f => f.Property("kind") == "manifest").ToList();
        var keep = policy.Keep(manifests, Key, Metric);
        var keptData = keep.Select(m => m.Property("data")).ToHashSet(StringComparer.Ordinal);
        var deleted = 0;

        // Manifests first: a checkpoint disappears from view before its file goes.
        foreach (var manifest in manifests.Where(m => !keep.Contains(m)))
        {
            await _retry.ExecuteAsync(async ct => await _client.DeleteAsync(manifest.Id, ct), cancellationToken);
            deleted++;
        }

        // Checkpoint files without a kept manifest, older than the committed one (abandoned or pruned uploads); newer
        // ones may be uploads still in progress.
        foreach (var data in files.Where(f => f.Property("kind") == "data" && !keptData.Contains(f.Id) && Key(f).CompareTo(policy.Committed) < 0))
        {
            await _retry.ExecuteAsync(async ct => await _client.DeleteAsync(data.Id, ct), cancellationToken);
        }

        return deleted;
    }

    public async Task DeleteAsync(string uri, CancellationToken cancellationToken)
    {
        if (DriveCheckpointUri.ManifestId(uri) is not { } manifestId)
        {
            return;
        }

        var manifest = await _retry.ExecuteAsync(async ct => await _client.GetAsync(manifestId, ct), cancellationToken);
        await _retry.ExecuteAsync(async ct => await _client.DeleteAsync(manifestId, ct), cancellationToken);
        if (manifest.Property("data") is { } dataId)
        {
            await _retry.ExecuteAsync(async ct => await _client.DeleteAsync(dataId, ct), cancellationToken);
        }
    }

    private static (long Epoch, long Step) Key(DriveFile file) =>
        (long.TryParse(file.Property("epoch"), CultureInfo.InvariantCulture, out var epoch) ? epoch : 0,
         long.TryParse(file.Property("step"), CultureInfo.InvariantCulture, out var step) ? step : 0);

    /// <summary>(lease epoch, step) from a checkpoint URI's name (<c>ckpt-{step}-e{epoch}-a{attempt}</c>), or null.</summary>
    private static (long Epoch, long Step)? KeyOf(string uri)
    {
        var match = CheckpointName().Match(uri);
        return match.Success
            ? (long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"/ckpt-(\d+)-e(\d+)-a\d+\.bin$", RegexOptions.CultureInvariant)]
    private static partial Regex CheckpointName();

    private static double? Metric(DriveFile file) =>
        double.TryParse(file.Property("metric"), NumberStyles.Float, CultureInfo.InvariantCulture, out var metric) ? metric : null;

    private static async Task<JsonElement> ReadLocalManifestAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        return document.RootElement.Clone();
    }

    /// <summary>The job's folder under the root, found or created once per process.</summary>
    private async Task<string> JobFolderAsync(string jobId, CancellationToken cancellationToken)
    {
        if (_jobFolders.TryGetValue(jobId, out var cached))
        {
            return cached;
        }

        await _folderLock.WaitAsync(cancellationToken);
        try
        {
            if (_jobFolders.TryGetValue(jobId, out cached))
            {
                return cached;
            }

            var root = _client.Options.RootFolderId;
            var query = $"name = {DriveClient.QueryLiteral(jobId)} and {DriveClient.QueryLiteral(root)} in parents and mimeType = '{DriveFile.FolderMimeType}' and trashed = false";
            var found = await _retry.ExecuteAsync(async ct => await _client.ListAsync(query, ct), cancellationToken);
            var folder = found.OrderBy(f => f.CreatedTime).FirstOrDefault()
                ?? await _retry.ExecuteAsync(
                    async ct => await _client.CreateFolderAsync(jobId, root, new Dictionary<string, string> { ["gridtrain"] = "job", ["job"] = jobId }, ct),
                    cancellationToken);
            _jobFolders[jobId] = folder.Id;
            return folder.Id;
        }
        finally
        {
            _folderLock.Release();
        }
    }
}
