using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Checkpoints.Tests;

/// <summary>
/// The production set-up: a service account key file, whose signed JWT assertion (RFC 7523, made by Google.Apis.Auth)
/// the fake's token endpoint verifies against the account's public key before it issues an access token.
/// </summary>
public sealed class ServiceAccountTests
{
    [Fact]
    public async Task ServiceAccountKeyFile_GetsATokenBySignedAssertion_AndStoresAVerifiedCheckpoint()
    {
        await using var h = await DriveHarness.StartAsync(drive => drive.ServiceAccountJson());
        var checkpoint = h.Spool("job-sa", 10);

        var uri = await h.Store.StoreAsync(checkpoint, new UploadProgress(), CancellationToken.None);

        var fetched = await h.Store.FetchAsync(uri, Path.Combine(h.Root, "fetched"), CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(checkpoint.Path), await File.ReadAllBytesAsync(fetched));
        Assert.Single(h.Manifests("job-sa"));
    }

    [Fact]
    public async Task ServiceAccountTheTokenEndpointDoesNotKnow_FailsNamingTheRefusal_WithoutTheKey()
    {
        await using var other = await FakeDriveServer.StartAsync();
        var foreign = other.ServiceAccountJson("stranger");
        await using var h = await DriveHarness.StartAsync(drive => foreign.Replace(other.TokenUri.ToString(), drive.TokenUri.ToString(), StringComparison.Ordinal));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => h.Client.ListAsync("trashed = false", CancellationToken.None));

        var message = error.ToString();
        Assert.Contains("invalid_grant", message, StringComparison.Ordinal);
        Assert.Contains("Invalid JWT Signature", message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServiceAccountKeyFile_WithoutItsPrivateKey_IsRefusedNamingTheSource()
    {
        var error = Assert.ThrowsAny<Exception>(() => DriveCredentials.FromJson("""{"type":"service_account","client_email":"a@b.iam.gserviceaccount.com","token_uri":"http://127.0.0.1:1/token"}""", "/etc/gridtrain/drive.json"));

        Assert.Contains("/etc/gridtrain/drive.json", error.Message, StringComparison.Ordinal);
    }
}
