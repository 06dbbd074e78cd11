namespace GridTrain.Domain.Security;

/// <summary>
/// A stored credential: who holds it, what it may do, and the SHA-256 of its secret (the secret itself is shown
/// once, when created, and never stored).
/// </summary>
public sealed record ApiToken
{
    /// <summary>Public id, part of the token text; lookups are by id, then the secret's hash is compared.</summary>
    public required string Id { get; init; }

    /// <summary>The user the token acts as; for an <see cref="TokenRole.Agent"/> credential, the agent id.</summary>
    public required string Subject { get; init; }

    public required TokenRole Role { get; init; }

    /// <summary>Lower-case hex SHA-256 of the secret part.</summary>
    public required string SecretHash { get; init; }

    /// <summary>Free-form note given at creation (what the token is for).</summary>
    public string Description { get; init; } = "";

    /// <summary>Who created it (a user name, or <c>controller</c>).</summary>
    public string CreatedBy { get; init; } = "";

    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was revoked; null while valid.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    public bool IsRevoked => RevokedAt is not null;
}
