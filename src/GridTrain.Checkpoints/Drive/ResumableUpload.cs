using System.Buffers;
using System.Net;
using System.Security.Cryptography;
using Polly;

namespace GridTrain.Checkpoints.Drive;

/// <summary>
/// Uploads one local file with a Drive resumable upload. The session URI is handed to <c>onSession</c> as soon as it
/// exists, so a restarted process can continue with <c>resumeSession</c>. After every failure the upload asks Drive how
/// many bytes it holds and continues from there — never assuming a chunk arrived. An expired session (404) starts a
/// new one. The finished file must match the local bytes' MD5 and SHA-256 as Drive reports them; a mismatch deletes it
/// and uploads again.
/// </summary>
public sealed class ResumableUpload(DriveClient client, ResiliencePipeline retry)
{
    private const int MaxSessionRestarts = 3;

    /// <param name="path">The local file.</param>
    /// <param name="name">Its name on Drive.</param>
    /// <param name="parentId">The folder it goes in.</param>
    /// <param name="appProperties">Tags for the file.</param>
    /// <param name="expectedSha256">The file's SHA-256 if already known (from its manifest): then Drive's SHA-256 is checked against it and the file is not hashed here.</param>
    /// <param name="resumeSession">A session URI persisted by an earlier process, or null.</param>
    /// <param name="onSession">Called with each new session URI (and null when a session is abandoned).</param>
    /// <param name="cancellationToken">Stops the upload; the session stays resumable.</param>
    public async Task<DriveFile> UploadAsync(
        string path,
        string name,
        string parentId,
        IReadOnlyDictionary<string, string> appProperties,
        string? expectedSha256,
        Uri? resumeSession,
        Func<Uri?, Task> onSession,
        CancellationToken cancellationToken)
    {
        var total = new FileInfo(path).Length;
        var session = resumeSession;
        var restarts = 0;
        for (var verifications = 0; ; verifications++)
        {
            DriveFile file;
            try
            {
                file = await retry.ExecuteAsync(
                    async ct =>
                    {
                        // A session created here holds nothing yet; any other (persisted, or after a failure) is asked how far it got.
                        var committed = (long?)null;
                        if (session is null)
                        {
                            session = await client.StartResumableAsync(name, parentId, appProperties, total, ct);
                            await onSession(session);
                            committed = 0;
                        }

                        return await SendFromCommittedAsync(session, path, total, committed, ct);
                    },
                    cancellationToken);
            }
            catch (DriveException ex) when (ex.Reason == DriveErrors.SessionExpired && restarts++ < MaxSessionRestarts)
            {
                session = null;
                await onSession(null);
                continue;
            }

            if (await MatchesAsync(file, path, total, expectedSha256, cancellationToken))
            {
                await onSession(null);
                return file;
            }

            await retry.ExecuteAsync(async ct => await client.DeleteAsync(file.Id, ct), cancellationToken);
            session = null;
            await onSession(null);
            if (verifications >= 1)
            {
                throw new DriveException(HttpStatusCode.OK, DriveErrors.ChecksumMismatch,
                    $"Drive holds {name} with {file.Size} bytes and checksums that do not match the local file's ({total} bytes), twice");
            }
        }
    }

    /// <summary>
    /// Whether Drive holds exactly the local bytes: its SHA-256 against the known one when both exist, else its MD5
    /// and SHA-256 against the local file's.
    /// </summary>
    private static async Task<bool> MatchesAsync(DriveFile file, string path, long total, string? expectedSha256, CancellationToken cancellationToken)
    {
        if (file.Size != total)
        {
            return false;
        }

        if (expectedSha256 is not null && file.Sha256Checksum is not null)
        {
            return string.Equals(file.Sha256Checksum, expectedSha256, StringComparison.OrdinalIgnoreCase);
        }

        var (md5, sha256, _) = await HashAsync(path, cancellationToken);
        return string.Equals(file.Md5Checksum, md5, StringComparison.OrdinalIgnoreCase)
            && (file.Sha256Checksum is null || string.Equals(file.Sha256Checksum, sha256, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Hex MD5 and SHA-256 and the size of a file.</summary>
    public static async Task<(string Md5, string Sha256, long Size)> HashAsync(string path, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                md5.AppendData(buffer, 0, read);
                sha.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return (Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha.GetHashAndReset()), stream.Length);
    }

    /// <summary>
    /// Sends the bytes Drive does not hold yet chunk by chunk, continuing from what each 308 acknowledges. Where
    /// <paramref name="committed"/> is unknown (null), Drive is asked first.
    /// </summary>
    private async Task<DriveFile> SendFromCommittedAsync(Uri session, string path, long total, long? committed, CancellationToken cancellationToken)
    {
        var state = committed is { } known
            ? new UploadState(known, null)
            : await client.PutChunkAsync(session, ReadOnlyMemory<byte>.Empty, 0, total, cancellationToken);
        var chunkSize = client.Options.ChunkSize;
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            while (state.File is null)
            {
                var offset = state.Committed;
                var count = (int)Math.Min(chunkSize, total - offset);
                stream.Position = offset;
                await stream.ReadExactlyAsync(buffer.AsMemory(0, count), cancellationToken);
                state = await client.PutChunkAsync(session, buffer.AsMemory(0, count), offset, total, cancellationToken);
                if (state.File is null && state.Committed <= offset && count > 0)
                {
                    // Drive kept nothing of this chunk: count it as a transient failure so backoff applies.
                    throw new DriveException((HttpStatusCode)308, DriveErrors.NoProgress, $"Drive acknowledged no bytes of the chunk at {offset}");
                }
            }

            return state.File;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
