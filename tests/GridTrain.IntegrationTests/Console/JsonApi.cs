using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace GridTrain.IntegrationTests.Console;

/// <summary>Plain HTTP calls to the controller's JSON API, as curl or a script would make them.</summary>
public sealed class JsonApi(Uri webAddress, string? token) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = webAddress, Timeout = TimeSpan.FromMinutes(2) };

    public async Task<(int Status, JsonObject Body)> SendAsync(HttpMethod method, string path, object? body = null, string? rawBody = null)
    {
        using var response = await _http.SendAsync(Request(method, path, body, rawBody));
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, string.IsNullOrEmpty(text) ? [] : JsonNode.Parse(text)!.AsObject());
    }

    public async Task<JsonObject> OkAsync(HttpMethod method, string path, object? body = null)
    {
        var (status, json) = await SendAsync(method, path, body);
        Assert.True(status == 200, $"{method} {path}: {status} {json}");
        return json;
    }

    public Task<JsonObject> GetAsync(string path) => OkAsync(HttpMethod.Get, path);

    /// <summary>The first <paramref name="count"/> messages of a server-streamed call, then hangs up.</summary>
    public async Task<List<JsonObject>> StreamAsync(string path, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        using var response = await _http.SendAsync(Request(HttpMethod.Get, path, null, null), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(200, (int)response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8);
        var messages = new List<JsonObject>();
        while (messages.Count < count && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                messages.Add(JsonNode.Parse(line)!.AsObject());
            }
        }

        return messages;
    }

    /// <summary>The messages of a server-streamed call as they arrive, until <paramref name="cancellationToken"/> hangs up.</summary>
    public async IAsyncEnumerable<JsonObject> FollowAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var response = await _http.SendAsync(Request(HttpMethod.Get, path, null, null), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(200, (int)response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return JsonNode.Parse(line)!.AsObject();
            }
        }
    }

    /// <summary>All messages of a server-streamed call that ends by itself.</summary>
    public Task<List<JsonObject>> StreamToEndAsync(string path) => StreamAsync(path, int.MaxValue);

    private HttpRequestMessage Request(HttpMethod method, string path, object? body, string? rawBody)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (rawBody is not null)
        {
            request.Content = new StringContent(rawBody, Encoding.UTF8, "application/json");
        }
        else if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: new JsonSerializerOptions(JsonSerializerDefaults.Web));
        }

        return request;
    }

    public void Dispose() => _http.Dispose();
}
