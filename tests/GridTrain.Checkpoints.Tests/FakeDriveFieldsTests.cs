using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using GridTrain.Checkpoints.Credentials;

namespace GridTrain.Checkpoints.Tests;

/// <summary>
/// The fake Drive's partial responses, over raw HTTP: Drive v3 answers only a default set of fields unless the request
/// names them, so a client that forgets a field (a checksum, a size) fails here as it would against Drive.
/// </summary>
public sealed class FakeDriveFieldsTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private DriveHarness _h = null!;
    private string _fileId = "";

    public async Task InitializeAsync()
    {
        _h = await DriveHarness.StartAsync();
        _fileId = _h.Drive.AddFile(_h.RootFolderId, "weights.bin", [1, 2, 3, 4]);
        var token = await DriveCredentials.FromJson(_h.Drive.AuthorizedUserJson(), "test").GetAsync(CancellationToken.None);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _h.DisposeAsync();
    }

    [Fact]
    public async Task GetWithoutFields_AnswersDrivesDefaultSet_WithoutSizeOrChecksums()
    {
        var file = await GetAsync($"drive/v3/files/{_fileId}");

        Assert.Equal(["kind", "id", "name", "mimeType"], file.Select(p => p.Key));
    }

    [Fact]
    public async Task GetWithFields_AnswersExactlyThose()
    {
        var file = await GetAsync($"drive/v3/files/{_fileId}?fields=id,size,md5Checksum");

        Assert.Equal(["id", "size", "md5Checksum"], file.Select(p => p.Key));
        Assert.Equal("4", file["size"]!.GetValue<string>());
        Assert.Equal("08d6c05a21512a79a1dfeb9d2a8f262f", file["md5Checksum"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("nextPageToken,files(id,name)")]
    [InlineData("files/id,files/name")]
    [InlineData("files(id),files(name)")]
    public async Task ListWithNestedFields_SelectsInsideEachFile(string fields)
    {
        var list = await GetAsync($"drive/v3/files?q={Uri.EscapeDataString($"'{_h.RootFolderId}' in parents")}&fields={Uri.EscapeDataString(fields)}");

        Assert.DoesNotContain("kind", list.Select(p => p.Key));
        var file = Assert.IsType<JsonObject>(Assert.Single(list["files"]!.AsArray()));
        Assert.Equal(["id", "name"], file.Select(p => p.Key));
    }

    [Fact]
    public async Task ListWithoutFields_AnswersTheDefaultFileList()
    {
        var list = await GetAsync($"drive/v3/files?q={Uri.EscapeDataString($"'{_h.RootFolderId}' in parents")}");

        Assert.Equal(["kind", "incompleteSearch", "files"], list.Select(p => p.Key));
        Assert.Equal(["kind", "id", "name", "mimeType"], Assert.IsType<JsonObject>(Assert.Single(list["files"]!.AsArray())).Select(p => p.Key));
    }

    [Theory]
    [InlineData("id,checksum", "checksum")]
    [InlineData("files(id)", "files")]
    [InlineData("id,(name)", "id,(name)")]
    public async Task UnknownOrMalformedSelection_Is400NamingIt_AndCreatesNothing(string fields, string named)
    {
        var before = _h.Drive.AllFiles.Count;
        using var content = JsonContent.Create(new { name = "never", parents = new[] { _h.RootFolderId } });

        using var response = await _http.PostAsync(new Uri(_h.Drive.Endpoint, $"drive/v3/files?fields={Uri.EscapeDataString(fields)}"), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["error"]!["errors"]![0]!;
        Assert.Equal("invalidParameter", error["reason"]!.GetValue<string>());
        Assert.Equal("fields", error["location"]!.GetValue<string>());
        Assert.Contains(named, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, _h.Drive.AllFiles.Count);
    }

    private async Task<JsonObject> GetAsync(string relative)
    {
        using var response = await _http.GetAsync(new Uri(_h.Drive.Endpoint, relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{relative}: {(int)response.StatusCode} {body}");
        return Assert.IsType<JsonObject>(JsonNode.Parse(body));
    }
}
