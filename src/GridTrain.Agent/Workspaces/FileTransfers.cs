using System.Security.Cryptography;
using GridTrain.Agent.Connection.Tunnels;
using GridTrain.Domain;
using GridTrain.Domain.AgentProtocol;

namespace GridTrain.Agent.Workspaces;

/// <summary>
/// Copies into and out of a session's workspace over a tunnel, and lists it. Every path is resolved by
/// <see cref="SessionWorkspaces.Resolve"/> (no way out through <c>..</c>, absolute paths or links). An upload is all or
/// nothing: it is written under a temporary name next to its destination, each file checked against its SHA-256, and
/// renamed into place only when all arrived intact. A download skips links and special files.
/// </summary>
internal sealed class FileTransfers(SessionWorkspaces workspaces, string sessionId, ITunnel tunnel, TimeSpan closeTimeout, TimeProvider time)
{
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Receives an upload and commits it.</summary>
    public async Task ReceiveAsync(UploadRequest upload, CancellationToken cancellationToken)
    {
        if (upload.Name.Length == 0 || upload.Name is "." or ".." || upload.Name.Contains('/', StringComparison.Ordinal) || upload.Name.Contains('\0', StringComparison.Ordinal))
        {
            throw new GridException(GridError.InvalidArgument, $"name '{upload.Name}' is not a file name");
        }

        workspaces.EnsureRoom(sessionId, upload.TotalBytes);
        var relative = upload.Path;
        var destination = workspaces.Resolve(sessionId, relative);
        if (Directory.Exists(destination))
        {
            relative = Path.Combine(relative, upload.Name);
            destination = workspaces.Resolve(sessionId, relative);
        }

        var parent = Path.GetDirectoryName(destination)!;
        if (!Directory.Exists(parent))
        {
            throw new GridException(GridError.NotFound, $"directory '{Path.GetDirectoryName(relative)}' does not exist in the workspace; create it first (session exec -- mkdir -p ...)");
        }

        var staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.gridtrain-upload");
        try
        {
            var (files, bytes, rootIsDirectory) = await ReceiveEntriesAsync(staging, upload.TotalBytes, cancellationToken);
            Commit(staging, destination, relative, rootIsDirectory);
            await tunnel.WriteAsync(new UploadCompleted(Path.GetRelativePath(workspaces.PathOf(sessionId), destination), files, bytes), cancellationToken);
            await tunnel.CompleteAsync();
            await TunnelEnd.DrainAsync(tunnel, closeTimeout, time, cancellationToken);
        }
        finally
        {
            Remove(staging);
        }
    }

    private async Task<(long Files, long Bytes, bool RootIsDirectory)> ReceiveEntriesAsync(string staging, long declaredBytes, CancellationToken cancellationToken)
    {
        long files = 0, bytes = 0;
        bool? rootIsDirectory = null;
        FileStream? file = null;
        IncrementalHash? hash = null;
        string? current = null;
        try
        {
            await foreach (var frame in tunnel.ReadAllAsync(cancellationToken))
            {
                switch (frame)
                {
                    case FileHeader header:
                        if (file is not null)
                        {
                            throw new GridException(GridError.InvalidArgument, $"file '{current}' has no end before the next entry");
                        }

                        current = header.Path;
                        var target = StagedPath(staging, header.Path, rootIsDirectory);
                        rootIsDirectory ??= header.Type == FileEntryType.Directory;
                        if (header.Type == FileEntryType.Directory)
                        {
                            Directory.CreateDirectory(target);
                            break;
                        }

                        file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkBytes, useAsync: true);
                        if (header.Mode != 0 && !OperatingSystem.IsWindows())
                        {
                            File.SetUnixFileMode(target, (UnixFileMode)(header.Mode & 0x1FF));
                        }

                        hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                        break;
                    case FileData data when file is not null:
                        bytes += data.Data.Length;
                        if (bytes > declaredBytes)
                        {
                            throw new WorkspaceFullException($"the upload sent more than the {declaredBytes} bytes it declared; nothing was written");
                        }

                        hash!.AppendData(data.Data.Span);
                        await file.WriteAsync(data.Data, cancellationToken);
                        break;
                    case FileEnd end when file is not null:
                        await file.DisposeAsync();
                        file = null;
                        if (!CryptographicOperations.FixedTimeEquals(hash!.GetHashAndReset(), end.Sha256))
                        {
                            throw new GridException(GridError.DataLoss, $"file '{current}' arrived damaged (its SHA-256 does not match); nothing was written, copy again");
                        }

                        hash.Dispose();
                        hash = null;
                        files++;
                        break;
                    case InputEnded:
                        if (file is not null || rootIsDirectory is null)
                        {
                            throw new GridException(GridError.InvalidArgument, rootIsDirectory is null ? "the upload has no entries" : $"file '{current}' ended without its checksum; nothing was written");
                        }

                        return (files, bytes, rootIsDirectory.Value);
                    default:
                        throw new GridException(GridError.InvalidArgument, $"unexpected {frame.GetType().Name} in an upload");
                }
            }
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }

            hash?.Dispose();
        }

        throw new TunnelClosedException("the upload was cancelled before it completed; nothing was written");
    }

    /// <summary>Where an entry goes under the staging root: "" is the root; other paths only inside a directory root, each part a plain name.</summary>
    private static string StagedPath(string staging, string path, bool? rootIsDirectory)
    {
        if (path.Length == 0)
        {
            return rootIsDirectory is null ? staging : throw new GridException(GridError.InvalidArgument, "the upload names its root twice");
        }

        var parts = path.Split('/');
        if (rootIsDirectory != true || parts.Any(p => p is "" or "." or ".." || p.Contains('\0', StringComparison.Ordinal) || p.Contains('\\', StringComparison.Ordinal)))
        {
            throw new GridException(GridError.InvalidArgument, $"entry '{path}' of the upload is not a plain relative path inside it");
        }

        return Path.Combine([staging, .. parts]);
    }

    private static void Commit(string staging, string destination, string relative, bool rootIsDirectory)
    {
        if (rootIsDirectory)
        {
            if (Path.Exists(destination))
            {
                throw new GridException(GridError.FailedPrecondition, $"'{relative}' already exists in the workspace; remove it first or copy to another path");
            }

            Directory.Move(staging, destination);
        }
        else
        {
            if (Directory.Exists(destination))
            {
                throw new GridException(GridError.FailedPrecondition, $"'{relative}' is a directory in the workspace");
            }

            File.Move(staging, destination, overwrite: true);
        }
    }

    private static void Remove(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Sends the file or directory at the request's path.</summary>
    public async Task SendAsync(DownloadRequest download, CancellationToken cancellationToken)
    {
        var source = workspaces.Resolve(sessionId, download.Path);
        if (File.Exists(source))
        {
            await SendFileAsync(source, "", cancellationToken);
        }
        else if (Directory.Exists(source))
        {
            await tunnel.WriteAsync(new FileHeader("", FileEntryType.Directory, 0, 0), cancellationToken);
            await SendDirectoryAsync(source, "", cancellationToken);
        }
        else
        {
            throw new GridException(GridError.NotFound, $"'{download.Path}' does not exist in the workspace");
        }

        await tunnel.CompleteAsync();
        await TunnelEnd.DrainAsync(tunnel, closeTimeout, time, cancellationToken);
    }

    private async Task SendDirectoryAsync(string directory, string relative, CancellationToken cancellationToken)
    {
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var path = relative.Length == 0 ? entry.Name : relative + "/" + entry.Name;
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            if (entry is DirectoryInfo)
            {
                await tunnel.WriteAsync(new FileHeader(path, FileEntryType.Directory, 0, 0), cancellationToken);
                await SendDirectoryAsync(entry.FullName, path, cancellationToken);
            }
            else if (entry is FileInfo { Attributes: not FileAttributes.Device })
            {
                await SendFileAsync(entry.FullName, path, cancellationToken);
            }
        }
    }

    private async Task SendFileAsync(string file, string relative, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, ChunkBytes, useAsync: true);
        var mode = OperatingSystem.IsWindows() ? 0 : (int)File.GetUnixFileMode(file);
        await tunnel.WriteAsync(new FileHeader(relative, FileEntryType.File, stream.Length, mode), cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await tunnel.WriteAsync(new FileData(buffer.AsMemory(0, read)), cancellationToken);
        }

        await tunnel.WriteAsync(new FileEnd(hash.GetHashAndReset()), cancellationToken);
    }

    /// <summary>Lists the directory (or describes the file) at the request's path.</summary>
    public async Task ListAsync(ListRequest list, CancellationToken cancellationToken)
    {
        var path = workspaces.Resolve(sessionId, list.Path);
        IEnumerable<FileSystemInfo> entries = Directory.Exists(path)
            ? new DirectoryInfo(path).EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal)
            : File.Exists(path) ? [new FileInfo(path)] : throw new GridException(GridError.NotFound, $"'{list.Path}' does not exist in the workspace");
        var listing = entries.Select(e => new FileEntry(
            e.Name,
            e.LinkTarget is not null ? FileEntryType.Symlink : e is DirectoryInfo ? FileEntryType.Directory : e is FileInfo ? FileEntryType.File : FileEntryType.Other,
            e is FileInfo f && e.LinkTarget is null ? f.Length : 0,
            e.LastWriteTimeUtc)).ToList();
        await tunnel.WriteAsync(new FileListing(listing), cancellationToken);
        await tunnel.CompleteAsync();
        await TunnelEnd.DrainAsync(tunnel, closeTimeout, time, cancellationToken);
    }
}
