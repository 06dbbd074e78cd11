using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
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
/// Google Drive v3 on loopback, faithful to the parts GridTrain uses: an OAuth token endpoint (refresh_token grant, and service accounts' signed JWT assertions),
/// bearer auth (401 for unknown or expired tokens), folders, <c>files.list</c> with the <c>q</c> subset
/// (<c>name =</c>, <c>'id' in parents</c>, <c>mimeType =/!=</c>, <c>trashed = false</c>) and page tokens,
/// <c>files.get</c>, <c>generateIds</c> (a repeated create answers 409), media/multipart/resumable uploads (308 with
/// <c>Range</c>, chunks a multiple of 256 KiB except the last, status queries, a completed session answering with its
/// file), partial responses (<c>fields</c>, with Drive's default set when absent), ranged downloads (206), delete,
/// MD5/SHA-256 checksums, and the errors in Drive's JSON shape. Faults are
/// injected with <see cref="Inject"/>.
/// </summary>
public sealed partial class FakeDriveServer : IAsyncDisposable
{
    private const int ChunkUnit = 256 * 1024;
    private const int PageSize = 100;
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, FakeDriveFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<FakeDriveDeletion> _deleted = new();
    private readonly ConcurrentDictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _refreshTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _accessTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string KeyId, byte[] PublicKey)> _serviceAccounts = new(StringComparer.Ordinal);
    private readonly List<(FakeDriveFault Fault, FakeDriveTarget Target)> _faults = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Met)> _waiters = [];
    private readonly ConcurrentQueue<string> _listQueries = new();
    private volatile Hold? _hold;
    private int _ids;
    private int _sessionsStarted;
    private int _statusQueries;
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
            finally
            {
                SignalWaiters();
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

    /// <summary>Status queries received: empty PUTs with <c>Content-Range: bytes */TOTAL</c> asking how much a session holds.</summary>
    public int StatusQueries => Volatile.Read(ref _statusQueries);

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

    /// <summary>
    /// Registers a service account with a fresh RSA key and returns its key file (<c>type: service_account</c>), as the
    /// Cloud console downloads it. The token endpoint accepts the account's signed JWT assertions (RFC 7523), and only
    /// those: the signature is checked against the account's public key.
    /// </summary>
    public string ServiceAccountJson(string name = "gridtrain-agent")
    {
        using var key = RSA.Create(2048);
        var email = $"{name}@fake-project.iam.gserviceaccount.com";
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
        _serviceAccounts[email] = (keyId, key.ExportSubjectPublicKeyInfo());
        return new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "fake-project",
            ["private_key_id"] = keyId,
            ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = email,
            ["client_id"] = "100000000000000000001",
            ["auth_uri"] = "https://accounts.google.com/o/oauth2/auth",
            ["token_uri"] = TokenUri.ToString(),
        }.ToJsonString();
    }

    /// <summary>Creates a folder (under <paramref name="parentId"/>, or at the top) and returns its id.</summary>
    public string CreateFolder(string name, string? parentId = null) =>
        Add(new FakeDriveFile { Id = NewId(), Name = name, MimeType = "application/vnd.google-apps.folder", Parents = parentId is null ? [] : [parentId], CreatedTime = DateTimeOffset.UtcNow }).Id;

    /// <summary>Adds a file with content and returns its id.</summary>
    public string AddFile(string parentId, string name, byte[] content)
    {
        var (md5, sha256) = Checksums(content);
        return Add(new FakeDriveFile
        {
            Id = NewId(),
            Name = name,
            MimeType = "application/octet-stream",
            Parents = [parentId],
            Content = content,
            CreatedTime = DateTimeOffset.UtcNow,
            Md5 = md5,
            Sha256 = sha256,
        }).Id;
    }

    /// <summary>The files in a folder.</summary>
    public IReadOnlyList<FakeDriveFile> FilesIn(string folderId) => _files.Values.Where(f => f.Parents.Contains(folderId)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();

    /// <summary>Every file and folder.</summary>
    public IReadOnlyList<FakeDriveFile> AllFiles => [.. _files.Values];

    /// <summary>Every file and folder deleted so far, in the order they went (for explaining a missing checkpoint).</summary>
    public IReadOnlyList<FakeDriveDeletion> Deleted => [.. _deleted];

    /// <summary>The <c>q</c> of every files.list request answered so far, in order.</summary>
    public IReadOnlyList<string> ListQueries => [.. _listQueries];

    /// <summary>
    /// Completes once <paramref name="condition"/> holds, checked now and after each request the fake answers: a barrier
    /// for what a client does in the background (e.g. a file it uploads, a listing it makes).
    /// </summary>
    public Task When(Func<bool> condition)
    {
        var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((condition, met));
        }

        SignalWaiters();
        return met.Task;
    }

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

    private void SignalWaiters()
    {
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => w.Condition()).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Met.TrySetResult();
            }
        }
    }

    private void Forget(FakeDriveFile file) => _deleted.Enqueue(new FakeDriveDeletion(file with { Content = null }, file.Content?.Length ?? 0, DateTimeOffset.UtcNow));

    private string NewId() => "fk" + Interlocked.Increment(ref _ids).ToString("D6", CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));

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
        var listing = HttpMethods.IsGet(request.Method) && path.TrimEnd('/') == "/drive/v3/files";
        if (!path.EndsWith("/generateIds", StringComparison.Ordinal) && !await SelectFieldsAsync(context, listing))
        {
            return;
        }

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
                await FileAsync(context, file);
                break;
            case "DELETE" when _files.TryRemove(rest, out var deleted):
                Forget(deleted);
                foreach (var child in _files.Values.Where(f => f.Parents.Contains(rest)).ToList())
                {
                    if (_files.TryRemove(child.Id, out var orphan))
                    {
                        Forget(orphan);
                    }
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
        var refused = form["grant_type"].ToString() switch
        {
            "refresh_token" => _refreshTokens.ContainsKey(form["refresh_token"].ToString()) && form["client_secret"] == "fake-secret" ? null : "Bad Request",
            JwtBearerGrant => AssertionProblem(form["assertion"].ToString()),
            var other => $"Unsupported grant_type '{other}'",
        };
        if (refused is not null)
        {
            await JsonAsync(context, 400, new JsonObject { ["error"] = "invalid_grant", ["error_description"] = refused });
            return;
        }

        var token = "ya29.fake-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        _accessTokens[token] = true;
        await JsonAsync(context, 200, new JsonObject { ["access_token"] = token, ["expires_in"] = 3599, ["token_type"] = "Bearer", ["scope"] = "https://www.googleapis.com/auth/drive" });
    }

    private const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>Audiences Google's token endpoint accepts in an assertion, whichever URL it was posted to.</summary>
    private static readonly string[] GoogleTokenAudiences = ["https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token", "https://accounts.google.com/o/oauth2/token"];

    /// <summary>
    /// What is wrong with a service account's JWT assertion, in Google's words where it has them; null if it is good: RS256
    /// signed by the key the account was registered with, for this token endpoint, with a scope, valid now, at most an hour.
    /// </summary>
    private string? AssertionProblem(string assertion)
    {
        var parts = assertion.Split('.');
        if (parts.Length != 3)
        {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.";
        }

        JsonObject header;
        JsonObject claims;
        try
        {
            header = JsonNode.Parse(Base64UrlDecode(parts[0])) as JsonObject ?? [];
            claims = JsonNode.Parse(Base64UrlDecode(parts[1])) as JsonObject ?? [];
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return "Invalid JWT: the assertion is not base64url-encoded JSON.";
        }

        var issuer = claims["iss"]?.GetValue<string>() ?? "";
        if (header["alg"]?.GetValue<string>() != "RS256" || !_serviceAccounts.TryGetValue(issuer, out var account))
        {
            return "Invalid JWT Signature.";
        }

        using var key = RSA.Create();
        key.ImportSubjectPublicKeyInfo(account.PublicKey, out _);
        var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
        if (!key.VerifyData(signed, Base64UrlDecode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return "Invalid JWT Signature.";
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var issuedAt = claims["iat"]?.GetValue<long>() ?? 0;
        var expires = claims["exp"]?.GetValue<long>() ?? 0;
        if (issuedAt > now + 300 || expires < now || expires - issuedAt > 3600)
        {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";
        }

        if (claims["aud"]?.GetValue<string>() is not { } audience || !(audience == TokenUri.ToString() || GoogleTokenAudiences.Contains(audience)))
        {
            return $"Invalid JWT: the aud claim must be the token endpoint, got '{claims["aud"]}'.";
        }

        return string.IsNullOrWhiteSpace(claims["scope"]?.GetValue<string>()) ? "Invalid OAuth scope or ID token audience provided." : null;
    }

    private static byte[] Base64UrlDecode(string text) => Base64Url.DecodeFromChars(text);

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
}
