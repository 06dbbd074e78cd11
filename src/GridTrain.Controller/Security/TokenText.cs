using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace GridTrain.Controller.Security;

/// <summary>
/// The text of issued credentials: <c>gt_&lt;id&gt;_&lt;secret&gt;</c> for tokens, <c>gta_&lt;agent id&gt;_&lt;secret&gt;</c> for
/// agent credentials. The secret is 256 random bits in hex; only its SHA-256 is stored.
/// </summary>
internal static partial class TokenText
{
    public const string TokenPrefix = "gt";
    public const string AgentPrefix = "gta";

    /// <summary>A new random id (64 bits, hex).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>A new random secret (256 bits, hex).</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Format(string prefix, string id, string secret) => $"{prefix}_{id}_{secret}";

    /// <summary>Splits issued token text; false for anything else (e.g. a configured token).</summary>
    public static bool TryParse(string text, out string prefix, out string id, out string secret)
    {
        var match = Issued().Match(text);
        prefix = match.Success ? match.Groups[1].Value : "";
        id = match.Success ? match.Groups[2].Value : "";
        secret = match.Success ? match.Groups[3].Value : "";
        return match.Success;
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="secret"/>.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Compares <paramref name="secret"/> with a stored hash in constant time.</summary>
    public static bool Matches(string storedHash, string secret) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(storedHash), Encoding.ASCII.GetBytes(Hash(secret)));

    [GeneratedRegex("^(gta?)_([a-z0-9-]{1,64})_([0-9a-f]{64})$")]
    private static partial Regex Issued();
}
