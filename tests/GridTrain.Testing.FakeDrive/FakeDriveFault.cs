namespace GridTrain.Testing.FakeDrive;

/// <summary>Failures the fake can inject, as Drive produces them.</summary>
public enum FakeDriveFault
{
    /// <summary>Keeps part of an upload chunk, then answers 503 backendError.</summary>
    ServerErrorAfterPartialCommit,

    /// <summary>Keeps part of an upload chunk, then drops the connection without an answer.</summary>
    DropConnection,

    /// <summary>Keeps only part of an upload chunk and answers 308 acknowledging fewer bytes than were sent.</summary>
    ShortAcknowledge,

    /// <summary>429 rateLimitExceeded.</summary>
    TooManyRequests,

    /// <summary>403 userRateLimitExceeded.</summary>
    RateLimited,

    /// <summary>Expires every access token issued so far and answers 401 authError.</summary>
    ExpiredToken,

    /// <summary>Forgets the upload session and answers 404 notFound.</summary>
    ExpiredSession,

    /// <summary>403 storageQuotaExceeded (a service account writing to My Drive, or a full Drive).</summary>
    StorageQuotaExceeded,
}
