using System.Security.Cryptography;
using System.Text;
using GridTrain.Checkpoints.Drive;
using Polly;

namespace GridTrain.Checkpoints.Datasets;

/// <summary>
/// Job inputs kept on Drive, downloaded once per content into a local cache: dataset folders (IDX files, raw or .gz),
/// keyed by the SHA-256 of the folder's file names and Drive MD5s, and single files (a TorchScript module), keyed by
/// their Drive MD5. A changed file downloads again and unchanged content never does. Every file is checked against
/// Drive's MD5 before it becomes visible in the cache.
/// </summary>
public sealed class DatasetCache(DriveClient client, ResiliencePipeline retry, string directory)
{
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>The local directory holding the folder's IDX files (downloading them first if this content is not cached).</summary>
    public Task<string> GetAsync(string folderId, CancellationToken cancellationToken) => GetFolderAsync(folderId, idxOnly: true, cancellationToken);

    /// <summary>
    /// The local directory holding the folder's files (its IDX files only, with <paramref name="idxOnly"/>), downloading
    /// them first if this content is not cached. Subfolders and Google Docs (no content of their own) are left out.
    /// </summary>
    public async Task<string> GetFolderAsync(string folderId, bool idxOnly, CancellationToken cancellationToken)
    {
        var files = (await retry.ExecuteAsync(
                async ct => await client.ListAsync($"{DriveClient.QueryLiteral(folderId)} in parents and trashed = false and mimeType != '{DriveFile.FolderMimeType}'", ct),
                cancellationToken))
            .Where(f => idxOnly ? f.Name.Contains("-ubyte", StringComparison.Ordinal) : f.Md5Checksum is { Length: > 0 } && Path.GetFileName(f.Name) is { Length: > 0 } plain && plain is not ("." or ".."))
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0)
        {
            throw new InvalidDataException(idxOnly
                ? $"the Drive folder {folderId} holds no IDX files (names like train-images-idx3-ubyte[.gz])"
                : $"the Drive folder {folderId} holds no files with content");
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

            await DownloadVerifiedAsync(files, target, $"Drive folder {folderId}", cancellationToken);
            return target;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The local path of one Drive file (downloading it first if this content is not cached), under its Drive name.</summary>
    public async Task<string> GetFileAsync(string fileId, CancellationToken cancellationToken)
    {
        var file = await retry.ExecuteAsync(async ct => await client.GetAsync(fileId, ct), cancellationToken);
        if (file.MimeType == DriveFile.FolderMimeType || file.Md5Checksum is not { Length: 32 } md5 || !md5.All(char.IsAsciiHexDigit))
        {
            throw new InvalidDataException($"the Drive item {fileId} ({file.Name}) is not a file with content");
        }

        // Drive names are free text: only a plain file name is used here, never one that could leave the cache.
        var name = Path.GetFileName(file.Name) is { Length: > 0 } plain && plain != "." && plain != ".." ? plain : "download";
        file = file with { Name = name };
        var target = Path.Combine(directory, "files", md5.ToLowerInvariant());
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!Directory.Exists(target))
            {
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                await DownloadVerifiedAsync([file], target, $"Drive file {fileId}", cancellationToken);
            }

            // One file per content: a copy with the same MD5 under another name is the same module.
            return Directory.GetFiles(target).Single();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Downloads the files into a staging directory, checks each against Drive's MD5, then moves it to <paramref name="target"/>.</summary>
    private async Task DownloadVerifiedAsync(IReadOnlyList<DriveFile> files, string target, string source, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}");
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
                    throw new InvalidDataException($"{file.Name} from {source} does not match its MD5 ({md5} here, {file.Md5Checksum} on Drive)");
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
    }
}
