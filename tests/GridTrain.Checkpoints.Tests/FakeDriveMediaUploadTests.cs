using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using GridTrain.Checkpoints.Credentials;

namespace GridTrain.Checkpoints.Tests;

/// <summary>
/// The fake Drive's simple (<c>uploadType=media</c>) uploads, over raw HTTP: the body is stored and hashed as it
/// arrives, as resumable chunks are, whether its length is declared or it comes chunked.
/// </summary>
public sealed class FakeDriveMediaUploadTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private DriveHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await DriveHarness.StartAsync();
        var token = await DriveCredentials.FromJson(_h.Drive.AuthorizedUserJson(), "test").GetAsync(CancellationToken.None);
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _h.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task MediaUpload_LargeBody_IsStoredWhole_WithItsChecksums(bool declaredLength)
    {
        // Over three 1 MiB pieces, and not a multiple of one.
        var bytes = RandomNumberGenerator.GetBytes(3_500_001);
        HttpContent content = declaredLength ? new StreamContent(new MemoryStream(bytes)) : new StreamContent(new UnseekableStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        using var response = await _http.PostAsync(new Uri(_h.Drive.Endpoint, "upload/drive/v3/files?uploadType=media&fields=id,size,md5Checksum,sha256Checksum"), content);

        response.EnsureSuccessStatusCode();
        Assert.Equal(declaredLength, content.Headers.ContentLength is not null);
        var file = await response.Content.ReadFromJsonAsync<JsonObject>() ?? [];
        Assert.Equal(bytes.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), file["size"]?.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), file["md5Checksum"]?.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), file["sha256Checksum"]?.GetValue<string>());
        var downloaded = await _http.GetByteArrayAsync(new Uri(_h.Drive.Endpoint, $"drive/v3/files/{file["id"]}?alt=media"));
        Assert.Equal(bytes, downloaded);
    }

    /// <summary>A body whose length HttpClient cannot know: it is sent with chunked transfer encoding.</summary>
    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
