using System.Collections.Concurrent;
using GridTrain.Domain.Security;
using GridTrain.Domain.Storage;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Security;

/// <summary>
/// Issues, checks and revokes credentials. Tokens live hashed in the <see cref="IGridStore"/>; a checked token is
/// remembered so calls do not each read the database: user, admin and join tokens for <see cref="CacheFor"/> (a
/// revocation through this controller counts at once, one through another controller within that time), agent
/// credentials for <see cref="AgentCacheFor"/>. Agent credentials change only by being issued again, which the leading
/// controller does (and remembers at once; a new term starts with a new registry), so heartbeats, the most frequent
/// calls, need no read. A credential that does not match the remembered record is checked against the store before it
/// is refused, so one issued since is accepted at once.
/// </summary>
internal sealed partial class TokenRegistry
{
    /// <summary>The user a configured admin token acts as.</summary>
    public const string AdminUser = "admin";

    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AgentCacheFor = TimeSpan.FromMinutes(5);

    private readonly IGridStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenRegistry> _logger;
    private readonly string? _adminHash;
    private readonly string? _joinHash;
    private readonly ConcurrentDictionary<string, (ApiToken Token, DateTimeOffset ReadAt)> _cache = new(StringComparer.Ordinal);

    public TokenRegistry(IGridStore store, ControllerSecurityOptions options, TimeProvider time, ILogger<TokenRegistry> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        _adminHash = options.AdminToken is { } admin ? TokenText.Hash(admin) : null;
        _joinHash = options.JoinToken is { } join ? TokenText.Hash(join) : null;
    }

    /// <summary>The caller a bearer token stands for; null when it is unknown, revoked or malformed.</summary>
    public async ValueTask<Caller?> AuthenticateAsync(string text, CancellationToken cancellationToken)
    {
        if (TokenText.TryParse(text, out var prefix, out var id, out var secret))
        {
            var token = await FindAsync(id, cancellationToken);
            if (token is not null && !Accepts(token, prefix, secret))
            {
                token = await ReadAsync(id, cancellationToken);
            }

            if (token is null || !Accepts(token, prefix, secret))
            {
                return null;
            }

            return new Caller(token.Subject, token.Role, token.Id);
        }

        if (_adminHash is not null && TokenText.Matches(_adminHash, text))
        {
            return new Caller(AdminUser, TokenRole.Admin, "");
        }

        if (_joinHash is not null && TokenText.Matches(_joinHash, text))
        {
            return new Caller("join-token", TokenRole.AgentJoin, "");
        }

        return null;
    }

    /// <summary>Creates a token; returns its text (shown once) and the stored record.</summary>
    public async Task<(string Text, ApiToken Token)> CreateAsync(string user, TokenRole role, string description, string createdBy, CancellationToken cancellationToken)
    {
        var id = TokenText.NewId();
        var secret = TokenText.NewSecret();
        var token = new ApiToken
        {
            Id = id,
            Subject = user,
            Role = role,
            SecretHash = TokenText.Hash(secret),
            Description = description,
            CreatedBy = createdBy,
            CreatedAt = _time.GetUtcNow(),
        };
        await _store.SaveTokenAsync(token, cancellationToken);
        Log.TokenCreated(_logger, id, user, role, createdBy);
        return (TokenText.Format(TokenText.TokenPrefix, id, secret), token);
    }

    /// <summary>A new credential for <paramref name="agentId"/>, replacing any earlier one (so a stale process of the same agent is locked out).</summary>
    public async Task<string> IssueAgentCredentialAsync(string agentId, CancellationToken cancellationToken)
    {
        var secret = TokenText.NewSecret();
        var token = new ApiToken
        {
            Id = agentId,
            Subject = agentId,
            Role = TokenRole.Agent,
            SecretHash = TokenText.Hash(secret),
            Description = "agent credential",
            CreatedBy = "controller",
            CreatedAt = _time.GetUtcNow(),
        };
        await _store.SaveTokenAsync(token, cancellationToken);
        _cache[agentId] = (token, _time.GetUtcNow());
        return TokenText.Format(TokenText.AgentPrefix, agentId, secret);
    }

    /// <summary>Revokes a user, admin or join token; null when there is none with that id.</summary>
    public async Task<ApiToken?> RevokeAsync(string id, string revokedBy, CancellationToken cancellationToken)
    {
        var token = await _store.GetTokenAsync(id, cancellationToken);
        if (token is null || token.Role == TokenRole.Agent)
        {
            return null;
        }

        if (!token.IsRevoked)
        {
            token = token with { RevokedAt = _time.GetUtcNow() };
            await _store.SaveTokenAsync(token, cancellationToken);
            Log.TokenRevoked(_logger, id, revokedBy);
        }

        _cache.TryRemove(id, out _);
        return token;
    }

    /// <summary>User, admin and join tokens (not agent credentials), oldest first.</summary>
    public async Task<IReadOnlyList<ApiToken>> ListAsync(CancellationToken cancellationToken) =>
        [.. (await _store.ListTokensAsync(cancellationToken)).Where(t => t.Role != TokenRole.Agent).OrderBy(t => t.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal)];

    /// <summary>
    /// The bootstrap admin token: the configured one, else on first start (no valid admin token stored) a new one,
    /// returned this once; null when an admin token already exists.
    /// </summary>
    public async Task<string?> BootstrapAdminAsync(string? configured, CancellationToken cancellationToken)
    {
        if (configured is not null)
        {
            return configured;
        }

        if ((await _store.ListTokensAsync(cancellationToken)).Any(t => t.Role == TokenRole.Admin && !t.IsRevoked))
        {
            return null;
        }

        var (text, _) = await CreateAsync(AdminUser, TokenRole.Admin, "bootstrap admin token", "controller", cancellationToken);
        return text;
    }

    private static bool Accepts(ApiToken token, string prefix, ReadOnlyMemory<char> secret) =>
        !token.IsRevoked && TokenText.Matches(token.SecretHash, secret.Span) && (token.Role == TokenRole.Agent) == (prefix == TokenText.AgentPrefix);

    private ValueTask<ApiToken?> FindAsync(string id, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(id, out var cached) && _time.GetUtcNow() - cached.ReadAt < (cached.Token.Role == TokenRole.Agent ? AgentCacheFor : CacheFor))
        {
            return ValueTask.FromResult<ApiToken?>(cached.Token);
        }

        return ReadAsync(id, cancellationToken);
    }

    /// <summary>
    /// Reads the token from the store and remembers it, unless the remembered record changed meanwhile (a credential
    /// issued during the read is newer than what the read returned).
    /// </summary>
    private async ValueTask<ApiToken?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var hadBefore = _cache.TryGetValue(id, out var before);
        var token = await _store.GetTokenAsync(id, cancellationToken);
        var remembered = token is null
            ? hadBefore ? _cache.TryRemove(KeyValuePair.Create(id, before)) : !_cache.ContainsKey(id)
            : hadBefore ? _cache.TryUpdate(id, (token, now), before) : _cache.TryAdd(id, (token, now));
        if (!remembered && _cache.TryGetValue(id, out var newer))
        {
            return newer.Token;
        }

        return token;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Token {TokenId} created for {User} as {Role} by {CreatedBy}", EventName = "TokenCreated")]
        public static partial void TokenCreated(ILogger logger, string tokenId, string user, TokenRole role, string createdBy);

        [LoggerMessage(2, LogLevel.Information, "Token {TokenId} revoked by {RevokedBy}", EventName = "TokenRevoked")]
        public static partial void TokenRevoked(ILogger logger, string tokenId, string revokedBy);
    }
}
