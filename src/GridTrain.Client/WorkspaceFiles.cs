using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using GridTrain.Protos.V1;

namespace GridTrain.Client;

/// <summary>
/// Copies to and from a session's workspace (<c>gridtrain session cp</c>, for programs): files and directories in
/// chunks, each file checked against its SHA-256, all or nothing at both ends (a copy is assembled under a temporary
/// name next to its destination and renamed into place only once complete and verified).
/// </summary>
public static class WorkspaceFiles
{
    private const int ChunkBytes = 1024 * 1024;

    /// <summary>Copies the local file or directory <paramref name="localPath"/> to <paramref name="remotePath"/> in the workspace (inside it, when that is a directory).</summary>
    /// <exception cref="FileNotFoundException">Nothing exists at <paramref name="localPath"/>.</exception>
    public static async Task<UploadFilesResponse> UploadAsync(this GridTrainClient client, string sessionId, string localPath, string remotePath, CancellationToken cancellationToken = default)
    {
        var root = Path.GetFullPath(localPath);
        var isDirectory = Directory.Exists(root);
        if (!isDirectory && !File.Exists(root))
        {
            throw new FileNotFoundException($"'{localPath}' does not exist", localPath);
        }

        var files = isDirectory
            ? new DirectoryInfo(root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).ToList()
            : [new FileInfo(root)];
        var name = Path.GetFileName(root.TrimEnd(Path.DirectorySeparatorChar));
        using var call = client.Sessions.UploadFiles(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new UploadFilesRequest { Start = new UploadStart { SessionId = sessionId, Path = remotePath, Name = name, TotalBytes = files.Sum(f => f.Length) } }, cancellationToken);
        try
        {
            if (isDirectory)
            {
                await call.RequestStream.WriteAsync(new UploadFilesRequest { File = new FileHeader { Path = "", Type = FileType.Directory } }, cancellationToken);
                foreach (var directory in new DirectoryInfo(root).EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint }).OrderBy(d => d.FullName, StringComparer.Ordinal))
                {
                    await call.RequestStream.WriteAsync(new UploadFilesRequest { File = new FileHeader { Path = Relative(root, directory.FullName), Type = FileType.Directory } }, cancellationToken);
                }
            }

            foreach (var file in files)
            {
                await SendFileAsync(call.RequestStream, file, isDirectory ? Relative(root, file.FullName) : "", cancellationToken);
            }

            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
        {
            // The controller refused the upload midway (a full workspace, a bad path): its answer says why.
        }

        return await call.ResponseAsync;
    }

    private static async Task SendFileAsync(IClientStreamWriter<UploadFilesRequest> requests, FileInfo file, string relative, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, ChunkBytes, useAsync: true);
        var mode = OperatingSystem.IsWindows() ? 0u : (uint)File.GetUnixFileMode(file.FullName);
        await requests.WriteAsync(new UploadFilesRequest { File = new FileHeader { Path = relative, Type = FileType.File, Size = stream.Length, Mode = mode } }, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await requests.WriteAsync(new UploadFilesRequest { Data = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        }

        await requests.WriteAsync(new UploadFilesRequest { End = new FileEnd { Sha256 = ByteString.CopyFrom(hash.GetHashAndReset()) } }, cancellationToken);
    }

    /// <summary>
    /// Copies <paramref name="remotePath"/> from the workspace to <paramref name="localPath"/> (inside it, when that is a
    /// directory); returns where the copy is, with its files and bytes.
    /// </summary>
    /// <exception cref="InvalidDataException">A file arrived damaged (nothing is left under its name).</exception>
    public static async Task<(string Path, long Files, long Bytes)> DownloadAsync(this GridTrainClient client, string sessionId, string remotePath, string localPath, CancellationToken cancellationToken = default)
    {
        var destination = Path.GetFullPath(localPath);
        if (Directory.Exists(destination))
        {
            var name = Path.GetFileName(remotePath.TrimEnd('/'));
            destination = Path.Combine(destination, name is "" or "." ? sessionId : name);
        }

        var parent = Path.GetDirectoryName(destination)!;
        if (!Directory.Exists(parent))
        {
            throw new DirectoryNotFoundException($"directory '{parent}' does not exist");
        }

        var staging = Path.Combine(parent, $".{Path.GetFileName(destination)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.gridtrain-download");
        using var call = client.Sessions.DownloadFiles(new DownloadFilesRequest { SessionId = sessionId, Path = remotePath }, cancellationToken: cancellationToken);
        long files = 0, bytes = 0;
        bool? rootIsDirectory = null;
        FileStream? file = null;
        IncrementalHash? hash = null;
        string current = "";
        try
        {
            await foreach (var message in call.ResponseStream.ReadAllAsync(cancellationToken))
            {
                switch (message.MessageCase)
                {
                    case DownloadFilesResponse.MessageOneofCase.File:
                        current = message.File.Path;
                        var target = current.Length == 0 ? staging : Path.Combine([staging, .. Parts(current)]);
                        rootIsDirectory ??= message.File.Type == FileType.Directory;
                        if (message.File.Type == FileType.Directory)
                        {
                            Directory.CreateDirectory(target);
                            break;
                        }

                        file = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, ChunkBytes, useAsync: true);
                        if (message.File.Mode != 0 && !OperatingSystem.IsWindows())
                        {
                            File.SetUnixFileMode(target, (UnixFileMode)(message.File.Mode & 0x1FF));
                        }

                        hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                        break;
                    case DownloadFilesResponse.MessageOneofCase.Data when file is not null:
                        hash!.AppendData(message.Data.Span);
                        await file.WriteAsync(message.Data.Memory, cancellationToken);
                        bytes += message.Data.Length;
                        break;
                    case DownloadFilesResponse.MessageOneofCase.End when file is not null:
                        await file.DisposeAsync();
                        file = null;
                        if (!CryptographicOperations.FixedTimeEquals(hash!.GetHashAndReset(), message.End.Sha256.Span))
                        {
                            throw new InvalidDataException($"'{(current.Length == 0 ? remotePath : current)}' arrived damaged (its SHA-256 does not match); nothing was written, copy again");
                        }

                        files++;
                        break;
                }
            }

            if (rootIsDirectory is null || file is not null)
            {
                throw new InvalidDataException($"the copy of '{remotePath}' ended before it was complete; nothing was written");
            }

            if (rootIsDirectory.Value)
            {
                if (Path.Exists(destination))
                {
                    throw new IOException($"'{destination}' already exists; remove it first or copy to another path");
                }

                Directory.Move(staging, destination);
            }
            else
            {
                File.Move(staging, destination, overwrite: true);
            }

            return (destination, files, bytes);
        }
        finally
        {
            if (file is not null)
            {
                await file.DisposeAsync();
            }

            hash?.Dispose();
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
            else if (File.Exists(staging))
            {
                File.Delete(staging);
            }
        }
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>The parts of an entry's path, each a plain name: a controller cannot make the copy write outside it.</summary>
    private static string[] Parts(string path)
    {
        var parts = path.Split('/');
        return parts.Any(p => p is "" or "." or ".." || p.Contains('\\', StringComparison.Ordinal) || p.Contains('\0', StringComparison.Ordinal))
            ? throw new InvalidDataException($"entry '{path}' of the copy is not a plain relative path")
            : parts;
    }
}
