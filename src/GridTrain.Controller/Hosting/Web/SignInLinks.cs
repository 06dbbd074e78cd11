using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace GridTrain.Controller.Hosting.Web;

/// <summary>
/// One-time sign-in codes for the console (the demo prints a link with one): a code stands for a token, is redeemed
/// once (the page trades it for the token, which it keeps in session storage), and expires after <see cref="Lifetime"/>
/// unused. The token itself never appears in a URL.
/// </summary>
internal sealed class SignInLinks(TimeProvider time)
{
    /// <summary>How long an unused code stays valid: 15 minutes.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, (string Token, DateTimeOffset Expires)> _codes = new(StringComparer.Ordinal);

    /// <summary>A new code for <paramref name="token"/>.</summary>
    public string Create(string token)
    {
        var now = time.GetUtcNow();
        foreach (var (code, entry) in _codes)
        {
            if (entry.Expires <= now)
            {
                _codes.TryRemove(code, out _);
            }
        }

        var created = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _codes[created] = (token, now + Lifetime);
        return created;
    }

    /// <summary>The token of an unexpired code, which is used up; null for an unknown, used or expired one.</summary>
    public string? Redeem(string code) =>
        _codes.TryRemove(code, out var entry) && entry.Expires > time.GetUtcNow() ? entry.Token : null;
}
