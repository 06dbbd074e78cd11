namespace GridTrain.Checkpoints.Credentials;

/// <summary>OAuth 2.0 bearer tokens for Drive calls.</summary>
public interface IAccessTokenSource
{
    /// <summary>A token valid now (cached until it nears expiry).</summary>
    Task<string> GetAsync(CancellationToken cancellationToken);

    /// <summary>Drops the cached token and obtains a new one (after a 401).</summary>
    Task<string> RefreshAsync(CancellationToken cancellationToken);
}
