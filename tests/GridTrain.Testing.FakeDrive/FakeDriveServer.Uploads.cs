using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace GridTrain.Testing.FakeDrive;

// Media, multipart and resumable uploads (308 with Range, the 256 KiB rule, status queries).
public sealed partial class FakeDriveServer
{
    /// <summary>How much of a media upload's body is read (and stored) at a time: 1 MiB.</summary>
    private const int MediaPiece = 4 * ChunkUnit;

    private async Task StartResumableAsync(HttpContext context)
    {
        if (await ApplyGenericFaultAsync(context, FakeDriveTarget.UploadStart))
        {
            return;
        }

        var metadata = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        long? declared = long.TryParse(context.Request.Headers["X-Upload-Content-Length"], out var length) ? length : null;
        _sessions[id] = new UploadSession(metadata, declared, Fields(context));
        Interlocked.Increment(ref _sessionsStarted);

        // As Drive does, the session URI carries the initiating request's parameters; its answers honour its fields.
        var fields = context.Request.Query["fields"].ToString() is { Length: > 0 } asked ? $"&fields={Uri.EscapeDataString(asked)}" : "";
        context.Response.Headers.Location = new Uri(Endpoint, $"upload/drive/v3/files?uploadType=resumable{fields}&upload_id={id}").ToString();
        context.Response.StatusCode = 200;
    }

    private async Task ChunkAsync(HttpContext context, string uploadId)
    {
        ChunkRequests++;
        if (!_sessions.TryGetValue(uploadId, out var session))
        {
            await ErrorAsync(context, 404, "notFound", "Upload session not found or expired.");
            return;
        }

        var range = context.Request.Headers.ContentRange.ToString();
        if (!ContentRangeHeaderValue.TryParse(range, out var contentRange) || contentRange.Length is not { } total || contentRange.Unit != "bytes")
        {
            await ErrorAsync(context, 400, "badContentRange", $"Invalid Content-Range '{range}'");
            return;
        }

        using var body = await ReadBodyAsync(context.Request);
        if (!contentRange.HasRange)
        {
            Interlocked.Increment(ref _statusQueries);
        }

        if (session.Completed is { } completed)
        {
            // A completed session answers with its file, also to a status query.
            await JsonAsync(context, 200, session.Fields.Apply(completed));
            return;
        }

        if (_hold is { } hold && contentRange.HasRange)
        {
            hold.Arrived.TrySetResult();
            await hold.Released.Task;
            context.Abort();
            return;
        }

        if (!contentRange.HasRange)
        {
            if (await ApplyGenericFaultAsync(context, FakeDriveTarget.Any))
            {
                return;
            }

            await AcknowledgeAsync(context, session, total);
            return;
        }

        var from = contentRange.From!.Value;
        var to = contentRange.To!.Value;
        if (to - from + 1 != body.Length || (session.DeclaredLength is { } declared && declared != total))
        {
            await ErrorAsync(context, 400, "badContentRange", $"Content-Range {range} does not match the {body.Length} bytes sent");
            return;
        }

        if (to + 1 < total && body.Length % ChunkUnit != 0)
        {
            await ErrorAsync(context, 400, "invalidChunkSize", "Chunks other than the last must be a multiple of 256 KiB (262144 bytes).");
            return;
        }

        if (from > session.Length)
        {
            await ErrorAsync(context, 400, "badContentRange", $"The upload offset is {session.Length}, the request starts at {from}");
            return;
        }

        // Bytes Drive already holds are skipped; the rest is appended.
        var fresh = body.Span[(int)(session.Length - from)..];
        switch (Take(FakeDriveTarget.UploadChunk))
        {
            case FakeDriveFault.ServerErrorAfterPartialCommit:
                session.Append(fresh[..PartOf(fresh.Length)]);
                await ErrorAsync(context, 503, "backendError", "Backend Error");
                return;
            case FakeDriveFault.DropConnection:
                session.Append(fresh[..PartOf(fresh.Length)]);
                context.Abort();
                return;
            case FakeDriveFault.ShortAcknowledge:
                session.Append(fresh[..PartOf(fresh.Length)]);
                await AcknowledgeAsync(context, session, total);
                return;
            case FakeDriveFault.ExpiredSession:
                _sessions.TryRemove(uploadId, out _);
                await ErrorAsync(context, 404, "notFound", "Upload session not found or expired.");
                return;
            case { } other:
                lock (_faults)
                {
                    _faults.Insert(0, (other, FakeDriveTarget.UploadChunk));
                    Interlocked.Decrement(ref _faultsFired);
                }

                await ApplyGenericFaultAsync(context, FakeDriveTarget.UploadChunk);
                return;
            case null:
                session.Append(fresh);
                await AcknowledgeAsync(context, session, total);
                return;
        }
    }

    /// <summary>The request body, in a pooled buffer when its length is declared (chunks are megabytes: no allocation per chunk).</summary>
    private static async Task<RequestBody> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is { } length and <= int.MaxValue)
        {
            var pooled = ArrayPool<byte>.Shared.Rent((int)length);
            await request.Body.ReadExactlyAsync(pooled.AsMemory(0, (int)length));
            return new RequestBody(pooled, (int)length, pooled: true);
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return new RequestBody(buffer.GetBuffer(), (int)buffer.Length, pooled: false);
    }

    private sealed class RequestBody(byte[] buffer, int length, bool pooled) : IDisposable
    {
        public int Length => length;

        public ReadOnlySpan<byte> Span => buffer.AsSpan(0, length);

        public void Dispose()
        {
            if (pooled)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Half of a chunk, in whole 256 KiB units when it is that large.</summary>
    private static int PartOf(int length) => length >= 2 * ChunkUnit ? length / 2 / ChunkUnit * ChunkUnit : length / 2;

    private async Task AcknowledgeAsync(HttpContext context, UploadSession session, long total)
    {
        if (session.Length == total)
        {
            if (Complete(session) is { } file)
            {
                await FileAsync(context, file, session.Fields);
            }
            else
            {
                await ErrorAsync(context, 409, "duplicate", "A file already exists with the provided ID.");
            }

            return;
        }

        if (session.Length > 0)
        {
            context.Response.Headers["Range"] = $"bytes=0-{session.Length - 1}";
        }

        context.Response.StatusCode = 308;
    }

    private async Task MultipartAsync(HttpContext context)
    {
        if (await ApplyGenericFaultAsync(context, FakeDriveTarget.UploadStart))
        {
            return;
        }

        var contentType = MediaTypeHeaderValue.Parse(context.Request.ContentType);
        var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
        if (contentType.MediaType != "multipart/related" || string.IsNullOrEmpty(boundary))
        {
            await ErrorAsync(context, 400, "badContent", "multipart uploads need Content-Type multipart/related with a boundary");
            return;
        }

        var reader = new MultipartReader(boundary, context.Request.Body);
        var metadataSection = await reader.ReadNextSectionAsync();
        var metadata = metadataSection is null ? null : await JsonNode.ParseAsync(metadataSection.Body) as JsonObject;
        var contentSection = await reader.ReadNextSectionAsync();
        if (metadata is null || contentSection is null)
        {
            await ErrorAsync(context, 400, "badContent", "a multipart upload has two parts: metadata, then content");
            return;
        }

        using var content = new MemoryStream();
        await contentSection.Body.CopyToAsync(content);
        if (Created(metadata, content.ToArray()) is { } file)
        {
            await FileAsync(context, file);
        }
        else
        {
            await ErrorAsync(context, 409, "duplicate", "A file already exists with the provided ID.");
        }
    }

    private async Task MediaAsync(HttpContext context)
    {
        if (await ApplyGenericFaultAsync(context, FakeDriveTarget.UploadStart))
        {
            return;
        }

        // Stored and hashed as a resumable session's chunks are, piece by piece as the body arrives.
        var upload = new UploadSession([], context.Request.ContentLength, Fields(context));
        var piece = ArrayPool<byte>.Shared.Rent(MediaPiece);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(piece.AsMemory(0, MediaPiece))) > 0)
            {
                upload.Append(piece.AsSpan(0, read));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(piece);
        }

        await FileAsync(context, Complete(upload)!);
    }

    /// <summary>Creates the file of a complete upload, leaving the session only its resource; null when the metadata's id is taken.</summary>
    private FakeDriveFile? Complete(UploadSession upload)
    {
        var (content, md5, sha256) = upload.TakeContent();
        var file = Created(upload.Metadata, content, (md5, sha256));
        if (file is not null)
        {
            upload.Complete(Resource(file));
        }

        return file;
    }
}
