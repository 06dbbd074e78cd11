using GridTrain.Controller.Security;
using GridTrain.Controller.Storage;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Security;
using GridTrain.Domain.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests;

public sealed class TokenRegistryTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
    private readonly CountingStore _store = new();

    [Fact]
    public async Task AgentCredential_WithinFiveMinutes_AuthenticatesWithoutReadingTheStore()
    {
        var tokens = Registry();
        var credential = await tokens.IssueAgentCredentialAsync("agent-1", CancellationToken.None);

        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(29));
            Assert.Equal(TokenRole.Agent, (await tokens.AuthenticateAsync(credential, CancellationToken.None))?.Role);
        }

        Assert.Equal(0, _store.TokenReads);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.NotNull(await tokens.AuthenticateAsync(credential, CancellationToken.None));
        Assert.Equal(1, _store.TokenReads);
    }

    [Fact]
    public async Task AgentCredential_IssuedAgain_OldRefusedAtOnceNewAccepted()
    {
        var tokens = Registry();
        var old = await tokens.IssueAgentCredentialAsync("agent-1", CancellationToken.None);
        Assert.NotNull(await tokens.AuthenticateAsync(old, CancellationToken.None));

        var renewed = await tokens.IssueAgentCredentialAsync("agent-1", CancellationToken.None);

        Assert.Null(await tokens.AuthenticateAsync(old, CancellationToken.None));
        Assert.NotNull(await tokens.AuthenticateAsync(renewed, CancellationToken.None));
    }

    [Fact]
    public async Task AgentCredential_IssuedByAnotherRegistry_MismatchIsCheckedAgainstTheStore()
    {
        var tokens = Registry();
        var old = await tokens.IssueAgentCredentialAsync("agent-1", CancellationToken.None);
        Assert.NotNull(await tokens.AuthenticateAsync(old, CancellationToken.None));

        var renewed = await Registry().IssueAgentCredentialAsync("agent-1", CancellationToken.None);

        Assert.NotNull(await tokens.AuthenticateAsync(renewed, CancellationToken.None));
        Assert.Null(await tokens.AuthenticateAsync(old, CancellationToken.None));
    }

    [Fact]
    public async Task AgentCredential_WrongSecret_RefusedAfterReadingTheStore()
    {
        var tokens = Registry();
        var credential = await tokens.IssueAgentCredentialAsync("agent-1", CancellationToken.None);
        var forged = credential[..^4] + (credential.EndsWith("0000", StringComparison.Ordinal) ? "1111" : "0000");

        Assert.Null(await tokens.AuthenticateAsync(forged, CancellationToken.None));
        Assert.Equal(1, _store.TokenReads);
        Assert.NotNull(await tokens.AuthenticateAsync(credential, CancellationToken.None));
    }

    [Fact]
    public async Task AgentCredential_PresentedAsUserToken_Refused()
    {
        var tokens = Registry();
        var credential = await tokens.IssueAgentCredentialAsync("agent-1", CancellationToken.None);

        Assert.Null(await tokens.AuthenticateAsync("gt_" + credential["gta_".Length..], CancellationToken.None));
    }

    [Fact]
    public async Task UserToken_RevokedThroughThisRegistry_RefusedAtOnce()
    {
        var tokens = Registry();
        var (text, token) = await tokens.CreateAsync("alice", TokenRole.User, "", "admin", CancellationToken.None);
        Assert.NotNull(await tokens.AuthenticateAsync(text, CancellationToken.None));

        await tokens.RevokeAsync(token.Id, "admin", CancellationToken.None);

        Assert.Null(await tokens.AuthenticateAsync(text, CancellationToken.None));
    }

    [Fact]
    public async Task UserToken_RevokedThroughAnotherRegistry_RefusedWithinFiveSeconds()
    {
        var tokens = Registry();
        var (text, token) = await tokens.CreateAsync("alice", TokenRole.User, "", "admin", CancellationToken.None);
        Assert.NotNull(await tokens.AuthenticateAsync(text, CancellationToken.None));

        await Registry().RevokeAsync(token.Id, "admin", CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Null(await tokens.AuthenticateAsync(text, CancellationToken.None));
    }

    private TokenRegistry Registry() => new(_store, new ControllerSecurityOptions(), _time, NullLogger<TokenRegistry>.Instance);

    /// <summary>An in-memory store that counts token reads.</summary>
    private sealed class CountingStore : ForwardingGridStore
    {
        private int _tokenReads;

        public int TokenReads => _tokenReads;

        public override ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _tokenReads);
            return base.GetTokenAsync(id, cancellationToken);
        }
    }
}
