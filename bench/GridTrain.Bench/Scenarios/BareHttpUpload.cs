using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GridTrain.Checkpoints.Credentials;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The baseline a checkpoint upload is compared with: the file's bytes in one <c>uploadType=media</c> POST, streamed
/// from the file, with the same bearer token, to the same Drive. No session, no chunks, no manifest, no retries, no
/// verification: what HTTP alone costs.
/// </summary>
internal sealed class BareHttpUpload(HttpClient http, Uri endpoint, IAccessTokenSource tokens)
{
    private const int BufferSize = 1 << 20;
    private readonly Uri _upload = new(endpoint, "upload/drive/v3/files?uploadType=media&fields=id");

    /// <summary>Uploads the file; returns its Drive id.</summary>
    public async Task<string> UploadAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, useAsync: true);
        using var request = new HttpRequestMessage(HttpMethod.Post, _upload) { Content = new StreamContent(file, BufferSize) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(cancellationToken));
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var created = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
        return created?["id"]?.GetValue<string>() ?? throw new InvalidOperationException($"the media upload of {path} answered without an id");
    }
}
