using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace GridTrain.Testing.FakeDrive;

/// <summary>
/// Google Drive v3 on loopback, faithful to the parts GridTrain uses: an OAuth token endpoint (refresh_token grant),
/// bearer auth (401 for unknown or expired tokens), folders, <c>files.list</c> with the <c>q</c> subset
/// (<c>name =</c>, <c>'id' in parents</c>, <c>mimeType =/!=</c>, <c>trashed = false</c>) and page tokens,
/// <c>files.get</c>, <c>generateIds</c> (a repeated create answers 409), media/multipart/resumable uploads (308 with
/// <c>Range</c>, chunks a multiple of 256 KiB except the last, status queries, a completed session answering with its
/// file), ranged downloads (206), delete, MD5/SHA-256 checksums, and the errors in Drive's JSON shape. Faults are
/// injected with <see cref="Inject"/>.
/// </summary>
public sealed class FakeDriveServer : IAsyncDisposable
{
    private const int ChunkUnit = 256 * 1024;
    private const int PageSize = 100;
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeDriveFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _accessTokens = new(StringComparer.Ordinal);
    private readonly List<(FakeDriveFault Fault, FakeDriveTarget Target)> _faults = [];
    private volatile Hold? _hold;
    private int _ids;
    private int _sessionsStarted;
    private int _faultsFired;

    private FakeDriveServer(WebApplication app)
    {
        _app = app;
        app.Run(async context =>
        {
            try
            {
                await HandleAsync(context);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not IOException && !context.Response.HasStarted)
            {
                LastError = ex;
                await ErrorAsync(context, 500, "internalError", ex.Message);
            }
        });
    }

    /// <summary>The API base address, e.g. <c>http://127.0.0.1:PORT/</c> (set <c>Drive:Endpoint</c> to it).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The OAuth token endpoint (<c>token_uri</c> of an <c>authorized_user</c> file).</summary>
    public Uri TokenUri => new(Endpoint, "token");

    /// <summary>The last exception the fake itself threw (a bug in the fake or a request it cannot parse).</summary>
    public Exception? LastError { get; private set; }

    /// <summary>Resumable upload sessions opened so far.</summary>
    public int SessionsStarted => Volatile.Read(ref _sessionsStarted);

    /// <summary>Injected faults that have fired.</summary>
    public int FaultsFired => Volatile.Read(ref _faultsFired);

    /// <summary>Chunk PUTs and status queries received.</summary>
    public int ChunkRequests { get; private set; }

    /// <summary>Ranged (206) download answers sent.</summary>
    public int RangedDownloads { get; private set; }

    public static async Task<FakeDriveServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Limits.MaxRequestBodySize = null;
        });
        var server = new FakeDriveServer(builder.Build());
        await server._app.StartAsync();
        var address = server._app.Services.GetService(typeof(IServer)) is IServer s ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() : throw new InvalidOperationException("no server");
        server.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return server;
    }

    /// <summary>Registers an OAuth client and returns an <c>authorized_user</c> credentials JSON for it.</summary>
    public string AuthorizedUserJson()
    {
        var refresh = "1//fake-refresh-" + Guid.NewGuid().ToString("N");
        _refreshTokens[refresh] = "fake-client.apps.googleusercontent.com";
        return new JsonObject
        {
            ["type"] = "authorized_user",
            ["client_id"] = "fake-client.apps.googleusercontent.com",
            ["client_secret"] = "fake-secret",
            ["refresh_token"] = refresh,
            ["token_uri"] = TokenUri.ToString(),
        }.ToJsonString();
    }

    /// <summary>Creates a folder (under <paramref name="parentId"/>, or at the top) and returns its id.</summary>
    public string CreateFolder(string name, string? parentId = null) =>
        Add(new FakeDriveFile { Id = NewId(), Name = name, MimeType = "application/vnd.google-apps.folder", Parents = parentId is null ? [] : [parentId], CreatedTime = DateTimeOffset.UtcNow }).Id;

    /// <summary>Adds a file with content and returns its id.</summary>
    public string AddFile(string parentId, string name, byte[] content) =>
        Add(new FakeDriveFile
        {
            Id = NewId(),
            Name = name,
            MimeType = "application/octet-stream",
            Parents = [parentId],
            Content = content,
            CreatedTime = DateTimeOffset.UtcNow,
            Md5 = Convert.ToHexStringLower(MD5.HashData(content)),
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(content)),
        }).Id;

    /// <summary>Makes the next <paramref name="count"/> requests of <paramref name="target"/> fail with <paramref name="fault"/>.</summary>
    public void Inject(FakeDriveFault fault, FakeDriveTarget target = FakeDriveTarget.UploadChunk, int count = 1)
    {
        lock (_faults)
        {
            for (var i = 0; i < count; i++)
            {
                _faults.Add((fault, target));
            }
        }
    }

    /// <summary>
    /// Holds the next chunk that carries bytes until <see cref="Release"/>, then drops its connection without keeping
    /// anything: the moment a process dies mid-upload. Completes the returned task when the chunk arrives.
    /// </summary>
    public Task HoldNextChunk()
    {
        _hold = new Hold();
        return _hold.Arrived.Task;
    }

    /// <summary>Lets a held chunk go (its connection is dropped) and stops holding.</summary>
    public void Release()
    {
        var hold = _hold;
        _hold = null;
        hold?.Released.TrySetResult();
    }

    /// <summary>Drops the faults not fired yet.</summary>
    public void ClearFaults()
    {
        lock (_faults)
        {
            _faults.Clear();
        }
    }

    /// <summary>The files in a folder.</summary>
    public IReadOnlyList<FakeDriveFile> FilesIn(string folderId) => _files.Values.Where(f => f.Parents.Contains(folderId)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    /// <summary>Every file and folder.</summary>
    public IReadOnlyList<FakeDriveFile> AllFiles => [.. _files.Values];

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private FakeDriveFile Add(FakeDriveFile file)
    {
        _files[file.Id] = file;
        return file;
    }

    private string NewId() => "fk" + Interlocked.Increment(ref _ids).ToString("D6", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

    private FakeDriveFault? Take(params FakeDriveTarget[] targets)
    {
        lock (_faults)
        {
            var index = _faults.FindIndex(f => f.Target == FakeDriveTarget.Any || targets.Contains(f.Target));
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index].Fault;
            _faults.RemoveAt(index);
            Interlocked.Increment(ref _faultsFired);
            return fault;
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path == "/token" && HttpMethods.IsPost(context.Request.Method))
        {
            await TokenAsync(context);
            return;
        }

        var auth = context.Request.Headers.Authorization.ToString();
        if (!auth.StartsWith("Bearer ", StringComparison.Ordinal) || !_accessTokens.TryGetValue(auth["Bearer ".Length..], out var valid) || !valid)
        {
            await ErrorAsync(context, 401, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token.");
            return;
        }

        var request = context.Request;
        if (path == "/upload/drive/v3/files")
        {
            var type = request.Query["uploadType"].ToString();
            if (HttpMethods.IsPut(request.Method) && request.Query["upload_id"].ToString() is { Length: > 0 } uploadId)
            {
                await ChunkAsync(context, uploadId);
            }
            else if (HttpMethods.IsPost(request.Method) && type == "resumable")
            {
                await StartResumableAsync(context);
            }
            else if (HttpMethods.IsPost(request.Method) && type == "multipart")
            {
                await MultipartAsync(context);
            }
            else if (HttpMethods.IsPost(request.Method) && type == "media")
            {
                await MediaAsync(context);
            }
            else
            {
                await ErrorAsync(context, 400, "invalid", $"Invalid uploadType '{type}'");
            }

            return;
        }

        if (!path.StartsWith("/drive/v3/files", StringComparison.Ordinal))
        {
            await ErrorAsync(context, 404, "notFound", $"Not Found: {path}");
            return;
        }

        var rest = path["/drive/v3/files".Length..].Trim('/');
        var isMedia = request.Query["alt"] == "media";
        if (await ApplyGenericFaultAsync(context, isMedia ? FakeDriveTarget.Download : FakeDriveTarget.Any))
        {
            return;
        }

        switch (request.Method)
        {
            case "GET" when rest.Length == 0:
                await ListAsync(context);
                break;
            case "GET" when rest == "generateIds":
                var count = int.TryParse(request.Query["count"], out var n) ? n : 10;
                await JsonAsync(context, 200, new JsonObject { ["kind"] = "drive#generatedIds", ["space"] = "drive", ["ids"] = new JsonArray([.. Enumerable.Range(0, count).Select(_ => (JsonNode)NewId())]) });
                break;
            case "POST" when rest.Length == 0:
                await CreateAsync(context);
                break;
            case "GET" when _files.TryGetValue(rest, out var file) && isMedia:
                await DownloadAsync(context, file);
                break;
            case "GET" when _files.TryGetValue(rest, out var file):
                await JsonAsync(context, 200, Resource(file));
                break;
            case "DELETE" when _files.TryRemove(rest, out _):
                foreach (var child in _files.Values.Where(f => f.Parents.Contains(rest)).ToList())
                {
                    _files.TryRemove(child.Id, out _);
                }

                context.Response.StatusCode = 204;
                break;
            default:
                await ErrorAsync(context, 404, "notFound", $"File not found: {rest}.");
                break;
        }
    }

    private async Task TokenAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync();
        if (form["grant_type"] != "refresh_token" || !_refreshTokens.ContainsKey(form["refresh_token"].ToString()) || form["client_secret"] != "fake-secret")
        {
            await JsonAsync(context, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = "Bad Request" });
            return;
        }

        var token = "ya29.fake-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _accessTokens[token] = true;
        await JsonAsync(context, 200, new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer", ["scope"] = "https://www.googleapis.com/auth/drive" });
    }

    /// <summary>Faults that do not depend on an upload's bytes; true when one answered the request.</summary>
    private async Task<bool> ApplyGenericFaultAsync(HttpContext context, FakeDriveTarget target)
    {
        switch (Take(target))
        {
            case null:
                return false;
            case FakeDriveFault.TooManyRequests:
                await ErrorAsync(context, 429, "rateLimitExceeded", "Rate Limit Exceeded");
                return true;
            case FakeDriveFault.RateLimited:
                await ErrorAsync(context, 403, "userRateLimitExceeded", "User Rate Limit Exceeded");
                return true;
            case FakeDriveFault.StorageQuotaExceeded:
                await ErrorAsync(context, 403, "storageQuotaExceeded", "The user's Drive storage quota has been exceeded.");
                return true;
            case FakeDriveFault.ExpiredToken:
                foreach (var token in _accessTokens.Keys)
                {
                    _accessTokens[token] = false;
                }

                await ErrorAsync(context, 401, "authError", "Request had invalid authentication credentials.");
                return true;
            case FakeDriveFault.DropConnection:
                context.Abort();
                return true;
            default:
                await ErrorAsync(context, 503, "backendError", "Backend Error");
                return true;
        }
    }

    private async Task ListAsync(HttpContext context)
    {
        Func<FakeDriveFile, bool> filter;
        try
        {
            filter = DriveQuery.Parse(context.Request.Query["q"].ToString());
        }
        catch (FormatException ex)
        {
            await ErrorAsync(context, 400, "invalid", $"Invalid Value: {ex.Message}", "q");
            return;
        }

        var matches = _files.Values.Where(filter).OrderBy(f => f.CreatedTime).ThenBy(f => f.Id, StringComparer.Ordinal).ToList();
        var skip = int.TryParse(context.Request.Query["pageToken"], out var token) ? token : 0;
        var page = matches.Skip(skip).Take(PageSize).ToList();
        var result = new JsonObject { ["kind"] = "drive#fileList", ["files"] = new JsonArray([.. page.Select(f => (JsonNode)Resource(f))]) };
        if (skip + PageSize < matches.Count)
        {
            result["nextPageToken"] = (skip + PageSize).ToString(CultureInfo.InvariantCulture);
        }

        await JsonAsync(context, 200, result);
    }

    private async Task CreateAsync(HttpContext context)
    {
        var metadata = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        if (Created(metadata, null) is { } file)
        {
            await JsonAsync(context, 200, Resource(file));
        }
        else
        {
            await ErrorAsync(context, 409, "duplicate", "A file already exists with the provided ID.");
        }
    }

    private FakeDriveFile? Created(JsonObject metadata, byte[]? content, (string Md5, string Sha256)? checksums = null)
    {
        if (content is not null)
        {
            checksums ??= (Convert.ToHexStringLower(MD5.HashData(content)), Convert.ToHexStringLower(SHA256.HashData(content)));
        }

        var id = metadata["id"]?.GetValue<string>() ?? NewId();
        var file = new FakeDriveFile
        {
            Id = id,
            Name = metadata["name"]?.GetValue<string>() ?? "Untitled",
            MimeType = metadata["mimeType"]?.GetValue<string>() ?? "application/octet-stream",
            Parents = metadata["parents"] is JsonArray parents ? [.. parents.Select(p => p!.GetValue<string>())] : [],
            AppProperties = metadata["appProperties"] is JsonObject props ? props.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()) : new Dictionary<string, string>(),
            Content = content ?? (metadata["mimeType"]?.GetValue<string>() == "application/vnd.google-apps.folder" ? null : []),
            CreatedTime = DateTimeOffset.UtcNow,
            Md5 = checksums?.Md5,
            Sha256 = checksums?.Sha256,
        };
        if (file.Content is { Length: 0 } && file.Md5 is null)
        {
            file = file with { Md5 = Convert.ToHexStringLower(MD5.HashData([])), Sha256 = Convert.ToHexStringLower(SHA256.HashData([])) };
        }

        return _files.TryAdd(id, file) ? file : null;
    }

    private async Task StartResumableAsync(HttpContext context)
    {
        if (await ApplyGenericFaultAsync(context, FakeDriveTarget.UploadStart))
        {
            return;
        }

        var metadata = await JsonNode.ParseAsync(context.Request.Body) as JsonObject ?? [];
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        long? declared = long.TryParse(context.Request.Headers["X-Upload-Content-Length"], out var length) ? length : null;
        _sessions[id] = new UploadSession(metadata, declared);
        Interlocked.Increment(ref _sessionsStarted);
        context.Response.Headers.Location = new Uri(Endpoint, $"upload/drive/v3/files?uploadType=resumable&upload_id={id}").ToString();
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

        var body = await ReadBodyAsync(context.Request);

        FakeDriveFile? completed;
        lock (session)
        {
            completed = session.File;
        }

        if (completed is not null)
        {
            // A completed session answers with its file, also to a status query.
            await JsonAsync(context, 200, Resource(completed));
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

        if (from > session.Received.Length)
        {
            await ErrorAsync(context, 400, "badContentRange", $"The upload offset is {session.Received.Length}, the request starts at {from}");
            return;
        }

        // Bytes Drive already holds are skipped; the rest is appended.
        var fresh = body.AsSpan((int)(session.Received.Length - from));
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

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is { } length and <= int.MaxValue)
        {
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body);
            return body;
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    /// <summary>Half of a chunk, in whole 256 KiB units when it is that large.</summary>
    private static int PartOf(int length) => length >= 2 * ChunkUnit ? length / 2 / ChunkUnit * ChunkUnit : length / 2;

    private async Task AcknowledgeAsync(HttpContext context, UploadSession session, long total)
    {
        if (session.Received.Length == total)
        {
            var checksums = session.Checksums();
            var file = Created(session.Metadata, session.TakeContent(), checksums);
            if (file is null)
            {
                await ErrorAsync(context, 409, "duplicate", "A file already exists with the provided ID.");
                return;
            }

            lock (session)
            {
                session.File = file;
            }

            await JsonAsync(context, 200, Resource(file));
            return;
        }

        if (session.Received.Length > 0)
        {
            context.Response.Headers["Range"] = $"bytes=0-{session.Received.Length - 1}";
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
            await JsonAsync(context, 200, Resource(file));
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

        using var content = new MemoryStream();
        await context.Request.Body.CopyToAsync(content);
        var file = Created([], content.ToArray())!;
        await JsonAsync(context, 200, Resource(file));
    }

    private async Task DownloadAsync(HttpContext context, FakeDriveFile file)
    {
        if (file.Content is not { } content)
        {
            await ErrorAsync(context, 403, "fileNotDownloadable", "Only files with binary content can be downloaded.");
            return;
        }

        var range = context.Request.Headers.Range.ToString();
        if (range.Length > 0 && RangeHeaderValue.TryParse(range, out var parsed) && parsed.Ranges.Count == 1)
        {
            var item = parsed.Ranges.First();
            var from = item.From ?? Math.Max(0, content.Length - item.To!.Value);
            var to = Math.Min(item.From is null ? content.Length - 1 : item.To ?? content.Length - 1, content.Length - 1);
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                return;
            }

            RangedDownloads++;
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{to}/{content.Length}";
            context.Response.ContentLength = to - from + 1;
            await context.Response.Body.WriteAsync(content.AsMemory((int)from, (int)(to - from + 1)));
            return;
        }

        context.Response.StatusCode = 200;
        context.Response.ContentLength = content.Length;
        await context.Response.Body.WriteAsync(content);
    }

    private static JsonObject Resource(FakeDriveFile file)
    {
        var resource = new JsonObject
        {
            ["kind"] = "drive#file",
            ["id"] = file.Id,
            ["name"] = file.Name,
            ["mimeType"] = file.MimeType,
            ["parents"] = new JsonArray([.. file.Parents.Select(p => (JsonNode)p)]),
            ["createdTime"] = file.CreatedTime.ToString("O", CultureInfo.InvariantCulture),
        };
        if (file.AppProperties.Count > 0)
        {
            resource["appProperties"] = new JsonObject(file.AppProperties.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)));
        }

        if (file.Content is { } content)
        {
            resource["size"] = content.Length.ToString(CultureInfo.InvariantCulture);
            resource["md5Checksum"] = file.Md5 ?? Convert.ToHexStringLower(MD5.HashData(content));
            resource["sha256Checksum"] = file.Sha256 ?? Convert.ToHexStringLower(SHA256.HashData(content));
        }

        return resource;
    }

    private static Task JsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=UTF-8";
        return context.Response.WriteAsync(body.ToJsonString());
    }

    private static Task ErrorAsync(HttpContext context, int status, string reason, string message, string? location = null)
    {
        var error = new JsonObject { ["domain"] = status == 403 && reason.Contains("RateLimit", StringComparison.Ordinal) ? "usageLimits" : "global", ["reason"] = reason, ["message"] = message };
        if (location is not null)
        {
            error["locationType"] = "parameter";
            error["location"] = location;
        }

        return JsonAsync(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = status, ["message"] = message, ["errors"] = new JsonArray(error) } });
    }

    private sealed class Hold
    {
        public TaskCompletionSource Arrived { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class UploadSession(JsonObject metadata, long? declaredLength)
    {
        public JsonObject Metadata { get; } = metadata;

        public long? DeclaredLength { get; } = declaredLength;

        private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        public MemoryStream Received { get; private set; } = new((int)Math.Min(declaredLength ?? 0, int.MaxValue));

        public FakeDriveFile? File { get; set; }

        private Task _hashing = Task.CompletedTask;

        /// <summary>
        /// Stores bytes at the end of what was received. They are hashed behind the answer, in order, while the next
        /// chunk travels (as a server that checksums in its storage layer would); <see cref="Checksums"/> waits.
        /// </summary>
        public void Append(ReadOnlySpan<byte> bytes)
        {
            var start = (int)Received.Length;
            Received.Write(bytes);
            var stored = Received.GetBuffer().AsMemory(start, bytes.Length);
            _hashing = _hashing.ContinueWith(
                _ =>
                {
                    var md5 = Task.Run(() => _md5.AppendData(stored.Span));
                    _sha256.AppendData(stored.Span);
                    md5.GetAwaiter().GetResult();
                },
                CancellationToken.None,
                TaskContinuationOptions.None,
                TaskScheduler.Default);
        }

        /// <summary>The received bytes, without a copy when the declared length was exact; the session keeps none.</summary>
        public byte[] TakeContent()
        {
            var buffer = Received.GetBuffer();
            var content = buffer.Length == Received.Length ? buffer : Received.ToArray();
            Received = new MemoryStream();
            return content;
        }

        public (string Md5, string Sha256) Checksums()
        {
            _hashing.GetAwaiter().GetResult();
            return (Convert.ToHexStringLower(_md5.GetCurrentHash()), Convert.ToHexStringLower(_sha256.GetCurrentHash()));
        }
    }
}
