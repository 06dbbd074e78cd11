using GridTrain.Domain.Security;

namespace GridTrain.Controller.Security;

/// <summary>Who made a call, as its credential says.</summary>
/// <param name="User">The user (for an agent credential: the agent id).</param>
/// <param name="Role">What the credential may do.</param>
/// <param name="TokenId">Id of the stored token; empty for a token from configuration.</param>
internal sealed record Caller(string User, TokenRole Role, string TokenId)
{
    public bool IsAdmin => Role == TokenRole.Admin;

    /// <summary>Key of the caller's rate limit.</summary>
    public string RateKey => TokenId.Length > 0 ? TokenId : $"{Role}:{User}";

    /// <summary>True when the caller may see things owned by <paramref name="owner"/>.</summary>
    public bool MaySee(string owner) => IsAdmin || string.Equals(owner, User, StringComparison.Ordinal);
}
