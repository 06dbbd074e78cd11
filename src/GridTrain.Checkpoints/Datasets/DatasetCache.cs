using System.Security.Cryptography;
using System.Text;
using GridTrain.Checkpoints.Drive;
using Polly;

namespace GridTrain.Checkpoints.Datasets;

/// <summary>
/// Datasets kept in a Drive folder (IDX files, raw or .gz), downloaded once per content into a local cache: the cache
/// key is the SHA-256 of the folder's file names and Drive MD5s, so a changed file downloads again and an unchanged
/// folder never does. Each file is checked against Drive's MD5 before the directory becomes visible.
/// </summary>
public sealed class DatasetCache(DriveClient client, ResiliencePipeline retry, string directory)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>The local directory holding the folder's files (downloading them first if this content is not cached).</summary>
    public async Task<string> GetAsync(string folderId, CancellationToken cancellationToken)
    {
        var files = (await retry.ExecuteAsync(
                async ct => await client.ListAsync($"{DriveClient.QueryLiteral(folderId)} in parents and trashed = false and mimeType != '{DriveFile.FolderMimeType}'", ct),
                cancellationToken))
            .Where(f => f.Name.Contains("-ubyte", StringComparison.Ordinal))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidDataException($"the Drive folder {folderId} holds no IDX files (names like train-images-idx3-ubyte[.gz])");
        }

        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', files.Select(f => $"{f.Name}:{f.Md5Checksum}:{f.Size}")))));
        var target = Path.Combine(directory, key);
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (Directory.Exists(target))
            {
                return target;
            }

            var staging = Path.Combine(directory, $".{key}.{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            try
            {
                foreach (var file in files)
                {
                    var path = Path.Combine(staging, Path.GetFileName(file.Name));
                    await using (var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
                    {
                        await client.DownloadAsync(file.Id, file.Size ?? 0, output, (range, ct) => retry.ExecuteAsync(async t => await range(t), ct).AsTask(), cancellationToken);
                    }

                    var (md5, _, _) = await ResumableUpload.HashAsync(path, cancellationToken);
                    if (!string.Equals(md5, file.Md5Checksum, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new InvalidDataException($"{file.Name} from Drive folder {folderId} does not match its MD5 ({md5} here, {file.Md5Checksum} on Drive)");
                    }
                }

                Directory.Move(staging, target);
            }
            finally
            {
                if (Directory.Exists(staging))
                {
                    Directory.Delete(staging, recursive: true);
                }
            }

            return target;
        }
        finally
        {
            _lock.Release();
        }
    }
}
