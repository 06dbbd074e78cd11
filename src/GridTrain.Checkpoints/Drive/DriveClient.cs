using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using GridTrain.Checkpoints.Credentials;

namespace GridTrain.Checkpoints.Drive;

/// <summary>
/// Drive v3 over REST: folders, listing, resumable and multipart uploads, ranged downloads, deletes. Every call
/// carries a bearer token (refreshed once on a 401) and <c>supportsAllDrives=true</c>; failures become
/// <see cref="DriveException"/>s. Retrying is the caller's business (<see cref="DriveRetry"/>).
/// </summary>
public sealed class DriveClient
{
    /// <summary>The fields GridTrain reads from a file resource.</summary>
    public const string FileFields = "id,name,mimeType,parents,appProperties,size,md5Checksum,sha256Checksum,createdTime";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly IAccessTokenSource _tokens;
    private readonly DriveOptions _options;
    private readonly Uri _files;
    private readonly Uri _uploads;

    public DriveClient(HttpClient http, IAccessTokenSource tokens, DriveOptions options)
    {
        _http = http;
        _tokens = tokens;
        _options = options;
        _files = new Uri(options.Endpoint, "drive/v3/files");
        _uploads = new Uri(options.Endpoint, "upload/drive/v3/files");
    }

    public DriveOptions Options => _options;

    /// <summary>Creates a folder.</summary>
    public async Task<DriveFile> CreateFolderAsync(string name, string parentId, IReadOnlyDictionary<string, string>? appProperties, CancellationToken cancellationToken)
    {
        var metadata = DriveMessages.Metadata(name, parentId, appProperties, DriveFile.FolderMimeType, id: null);
        return await SendForFileAsync(() => new HttpRequestMessage(HttpMethod.Post, DriveMessages.Query(_files, ("fields", FileFields))) { Content = JsonContent.Create(metadata) }, cancellationToken);
    }

    /// <summary>All files matching a Drive query (<c>q</c>), following <c>nextPageToken</c>.</summary>
    public async Task<IReadOnlyList<DriveFile>> ListAsync(string query, CancellationToken cancellationToken)
    {
        var files = new List<DriveFile>();
        string? pageToken = null;
        do
        {
            var parameters = new List<(string, string)> { ("q", query), ("fields", $"nextPageToken,files({FileFields})"), ("pageSize", "1000"), ("includeItemsFromAllDrives", "true") };
            if (_options.SharedDriveId.Length > 0)
            {
                parameters.Add(("corpora", "drive"));
                parameters.Add(("driveId", _options.SharedDriveId));
            }

            if (pageToken is not null)
            {
                parameters.Add(("pageToken", pageToken));
            }

            var uri = DriveMessages.Query(_files, [.. parameters]);
            using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), cancellationToken);
            var page = await response.Content.ReadFromJsonAsync<FileList>(s_json, cancellationToken) ?? new FileList();
            files.AddRange(page.Files ?? []);
            pageToken = page.NextPageToken;
        }
        while (!string.IsNullOrEmpty(pageToken));

        return files;
    }

    public async Task<DriveFile> GetAsync(string fileId, CancellationToken cancellationToken) =>
        await SendForFileAsync(() => new HttpRequestMessage(HttpMethod.Get, DriveMessages.Query(FileUri(fileId), ("fields", FileFields))), cancellationToken);

    /// <summary>Deletes a file; one already gone is fine.</summary>
    public async Task DeleteAsync(string fileId, CancellationToken cancellationToken)
    {
        try
        {
            using var _ = await SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, DriveMessages.Query(FileUri(fileId))), cancellationToken);
        }
        catch (DriveException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>File ids reserved for creates that may be retried (a repeated create with the same id answers 409).</summary>
    public async Task<IReadOnlyList<string>> GenerateIdsAsync(int count, CancellationToken cancellationToken)
    {
        var uri = DriveMessages.Query(new Uri(_files + "/generateIds"), ("count", count.ToString(CultureInfo.InvariantCulture)), ("space", "drive"));
        using var response = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), cancellationToken);
        var ids = await response.Content.ReadFromJsonAsync<GeneratedIds>(s_json, cancellationToken);
        return ids?.Ids ?? [];
    }

    /// <summary>Uploads a small file in one multipart request. <paramref name="id"/> (from <see cref="GenerateIdsAsync"/>) makes a retry safe.</summary>
    public async Task<DriveFile> UploadSmallAsync(string name, string parentId, IReadOnlyDictionary<string, string> appProperties, byte[] content, string id, CancellationToken cancellationToken)
    {
        var metadata = DriveMessages.Metadata(name, parentId, appProperties, "application/json", id);
        try
        {
            return await SendForFileAsync(
                () =>
                {
                    var body = new MultipartContent("related")
                    {
                        new StringContent(metadata.ToJsonString(), Encoding.UTF8, "application/json"),
                        new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
                    };
                    return new HttpRequestMessage(HttpMethod.Post, DriveMessages.Query(_uploads, ("uploadType", "multipart"), ("fields", FileFields))) { Content = body };
                },
                cancellationToken);
        }
        catch (DriveException ex) when (ex.Status == HttpStatusCode.Conflict)
        {
            // An earlier try succeeded but its answer was lost.
            return await GetAsync(id, cancellationToken);
        }
    }

    /// <summary>Starts a resumable upload and returns its session URI.</summary>
    public async Task<Uri> StartResumableAsync(string name, string parentId, IReadOnlyDictionary<string, string> appProperties, long size, CancellationToken cancellationToken)
    {
        var metadata = DriveMessages.Metadata(name, parentId, appProperties, "application/octet-stream", id: null);
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, DriveMessages.Query(_uploads, ("uploadType", "resumable"), ("fields", FileFields)))
            {
                Content = JsonContent.Create(metadata),
                Headers = { { "X-Upload-Content-Type", "application/octet-stream" }, { "X-Upload-Content-Length", size.ToString(CultureInfo.InvariantCulture) } },
            },
            cancellationToken);
        return response.Headers.Location ?? throw new DriveException(response.StatusCode, "noLocation", "a resumable upload was started without a session URI");
    }

    /// <summary>
    /// Sends <paramref name="chunk"/> at <paramref name="offset"/> of a <paramref name="total"/>-byte upload, or, with
    /// an empty chunk, asks how far the upload got. Returns the bytes Drive holds, or the file once complete.
    /// A 404 means the session expired (<see cref="DriveErrors.SessionExpired"/>).
    /// </summary>
    public async Task<UploadState> PutChunkAsync(Uri session, ReadOnlyMemory<byte> chunk, long offset, long total, CancellationToken cancellationToken)
    {
        HttpRequestMessage Request()
        {
            var content = new ReadOnlyMemoryContent(chunk);
            content.Headers.ContentRange = chunk.Length == 0
                ? new ContentRangeHeaderValue(total)
                : new ContentRangeHeaderValue(offset, offset + chunk.Length - 1, total);
            return new HttpRequestMessage(HttpMethod.Put, session) { Content = content };
        }

        try
        {
            using var response = await SendAsync(Request, cancellationToken, acceptResumeIncomplete: true);
            if (response.StatusCode == (HttpStatusCode)308)
            {
                // No Range header: nothing stored yet. Otherwise bytes 0..N are.
                var committed = response.Headers.TryGetValues("Range", out var ranges) && DriveMessages.ParseRangeEnd(ranges.First()) is { } end ? end + 1 : 0;
                return new UploadState(committed, null);
            }

            var file = await response.Content.ReadFromJsonAsync<DriveFile>(s_json, cancellationToken)
                ?? throw new DriveException(response.StatusCode, "emptyResponse", "a completed upload returned no file");
            return new UploadState(total, file);
        }
        catch (DriveException ex) when (ex.Status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            throw new DriveException(ex.Status, DriveErrors.SessionExpired, "the upload session expired; the upload restarts", ex);
        }
    }

    /// <summary>Downloads bytes [<paramref name="offset"/>, offset + count) of a file (a 206 range answer).</summary>
    public async Task<byte[]> DownloadRangeAsync(string fileId, long offset, long count, CancellationToken cancellationToken)
    {
        var uri = DriveMessages.Query(FileUri(fileId), ("alt", "media"));
        using var response = await SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, uri) { Headers = { Range = new RangeHeaderValue(offset, offset + count - 1) } },
            cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.OK && offset == 0 && bytes.Length >= count)
        {
            return bytes[..(int)count];
        }

        if (response.StatusCode != HttpStatusCode.PartialContent || bytes.Length != count)
        {
            throw new IOException($"Drive returned {bytes.Length} bytes ({(int)response.StatusCode}) for a range of {count} at {offset} of file {fileId}");
        }

        return bytes;
    }

    /// <summary>Downloads a whole file into <paramref name="destination"/>, in ranges of <see cref="DriveOptions.DownloadRangeSize"/> when larger.</summary>
    public async Task DownloadAsync(string fileId, long size, Stream destination, Func<Func<CancellationToken, Task<byte[]>>, CancellationToken, Task<byte[]>> retry, CancellationToken cancellationToken)
    {
        for (long offset = 0; offset < size;)
        {
            var count = Math.Min(_options.DownloadRangeSize, size - offset);
            var start = offset;
            var bytes = await retry(ct => DownloadRangeAsync(fileId, start, count, ct), cancellationToken);
            await destination.WriteAsync(bytes, cancellationToken);
            offset += bytes.Length;
        }
    }

    /// <summary>Escapes a string for a single-quoted Drive query literal.</summary>
    public static string QueryLiteral(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private async Task<DriveFile> SendForFileAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(request, cancellationToken);
        return await response.Content.ReadFromJsonAsync<DriveFile>(s_json, cancellationToken)
            ?? throw new DriveException(response.StatusCode, "emptyResponse", "Drive answered without a file");
    }

    /// <summary>Sends with a bearer token; a 401 refreshes the token and tries once more. Non-success becomes a <see cref="DriveException"/>.</summary>
    private async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken, bool acceptResumeIncomplete = false)
    {
        var token = await _tokens.GetAsync(cancellationToken);
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            if (request.Method != HttpMethod.Put && !request.RequestUri!.Query.Contains("supportsAllDrives", StringComparison.Ordinal))
            {
                request.RequestUri = DriveMessages.Query(request.RequestUri!, ("supportsAllDrives", "true"));
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Drive did not answer {request.Method} within {_options.RequestTimeout}", ex);
            }

            if (response.IsSuccessStatusCode || (acceptResumeIncomplete && response.StatusCode == (HttpStatusCode)308))
            {
                return response;
            }

            using (response)
            {
                var error = await DriveMessages.ReadErrorAsync(response, cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
                {
                    token = await _tokens.RefreshAsync(cancellationToken);
                    continue;
                }

                throw error;
            }
        }
    }

    private Uri FileUri(string fileId) => new(_files + "/" + Uri.EscapeDataString(fileId));

    private sealed record FileList
    {
        public string? NextPageToken { get; init; }

        public List<DriveFile>? Files { get; init; }
    }

    private sealed record GeneratedIds
    {
        public List<string>? Ids { get; init; }
    }
}
