using Google.Apis.Auth.OAuth2;

namespace GridTrain.Checkpoints.Credentials;

/// <summary>Tokens from a Google.Apis.Auth credential: a user's refresh token, a service account, or ADC.</summary>
internal sealed class GoogleTokenSource(ICredential credential, string kind) : IAccessTokenSource
{
    /// <summary>What kind of credential this is (for logs: never the secret itself).</summary>
    public string Kind { get; } = kind;

    public Task<string> GetAsync(CancellationToken cancellationToken) =>
        ((ITokenAccess)credential).GetAccessTokenForRequestAsync(null, cancellationToken);

    public async Task<string> RefreshAsync(CancellationToken cancellationToken)
    {
        var underlying = credential is GoogleCredential google ? google.UnderlyingCredential : credential;
        switch (underlying)
        {
            case UserCredential user:
                await user.RefreshTokenAsync(cancellationToken);
                break;
            case ServiceCredential service:
                await service.RequestAccessTokenAsync(cancellationToken);
                break;
        }

        return await GetAsync(cancellationToken);
    }

    public override string ToString() => Kind;
}
