using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace GridTrain.Controller.Security;

/// <summary>
/// The text of issued credentials: <c>gt_&lt;id&gt;_&lt;secret&gt;</c> for tokens, <c>gta_&lt;agent id&gt;_&lt;secret&gt;</c> for
/// agent credentials. The secret is 256 random bits in hex; only its SHA-256 is stored.
/// </summary>
internal static class TokenText
{
    public const string TokenPrefix = "gt";
    public const string AgentPrefix = "gta";

    private const int HashHexLength = 2 * SHA256.HashSizeInBytes;

    private static readonly SearchValues<char> s_idChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789-");
    private static readonly SearchValues<char> s_hexChars = SearchValues.Create("0123456789abcdef");

    /// <summary>A new random id (64 bits, hex).</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>A new random secret (256 bits, hex).</summary>
    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static string Format(string prefix, string id, string secret) => $"{prefix}_{id}_{secret}";

    /// <summary>
    /// Splits issued token text (<c>gt</c> or <c>gta</c>, <c>_</c>, an id of 1-64 of <c>[a-z0-9-]</c>, <c>_</c>, a secret
    /// of 64 lower-case hex digits); false for anything else (e.g. a configured token). Every heartbeat of every agent
    /// comes here, so the secret stays a slice of <paramref name="text"/>.
    /// </summary>
    public static bool TryParse(string text, out string prefix, out string id, out ReadOnlyMemory<char> secret)
    {
        prefix = id = "";
        secret = default;
        var first = text.IndexOf('_', StringComparison.Ordinal);
        var last = text.LastIndexOf('_');
        var parsedPrefix = first switch
        {
            2 when text.StartsWith(TokenPrefix + "_", StringComparison.Ordinal) => TokenPrefix,
            3 when text.StartsWith(AgentPrefix + "_", StringComparison.Ordinal) => AgentPrefix,
            _ => null,
        };
        var idSpan = first < last ? text.AsSpan(first + 1, last - first - 1) : default;
        var secretSpan = text.AsSpan(last + 1);
        if (parsedPrefix is null || idSpan.Length is < 1 or > 64 || idSpan.ContainsAnyExcept(s_idChars)
            || secretSpan.Length != 64 || secretSpan.ContainsAnyExcept(s_hexChars))
        {
            return false;
        }

        prefix = parsedPrefix;
        id = idSpan.ToString();
        secret = text.AsMemory(last + 1);
        return true;
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="secret"/>.</summary>
    public static string Hash(string secret)
    {
        Span<char> hex = stackalloc char[HashHexLength];
        HashInto(secret, hex);
        return new string(hex);
    }

    /// <summary>Compares <paramref name="secret"/> with a stored hash in constant time, without allocating.</summary>
    public static bool Matches(string storedHash, ReadOnlySpan<char> secret)
    {
        Span<char> hex = stackalloc char[HashHexLength];
        HashInto(secret, hex);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(storedHash.AsSpan()), MemoryMarshal.AsBytes((ReadOnlySpan<char>)hex));
    }

    /// <summary>Writes the lower-case hex SHA-256 of <paramref name="secret"/>'s UTF-8 bytes into <paramref name="hex"/>.</summary>
    private static void HashInto(ReadOnlySpan<char> secret, Span<char> hex)
    {
        // Callers bound what reaches here (authorization metadata of at most 512 characters); anything longer is hashed
        // from the heap rather than the stack.
        var utf8Length = Encoding.UTF8.GetByteCount(secret);
        var utf8 = utf8Length <= 1024 ? stackalloc byte[utf8Length] : new byte[utf8Length];
        Encoding.UTF8.GetBytes(secret, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8, hash);
        Convert.TryToHexStringLower(hash, hex, out _);
    }
}
