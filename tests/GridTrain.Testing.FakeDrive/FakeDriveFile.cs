namespace GridTrain.Testing.FakeDrive;

/// <summary>A file or folder held by the fake.</summary>
public sealed record FakeDriveFile
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public required string MimeType { get; init; }

    public IReadOnlyList<string> Parents { get; init; } = [];

    public IReadOnlyDictionary<string, string> AppProperties { get; init; } = new Dictionary<string, string>();

    public byte[]? Content { get; init; }

    /// <summary>Hex MD5 of <see cref="Content"/>, computed once.</summary>
    public string? Md5 { get; init; }

    /// <summary>Hex SHA-256 of <see cref="Content"/>, computed once.</summary>
    public string? Sha256 { get; init; }

    public required DateTimeOffset CreatedTime { get; init; }

    public bool IsFolder => MimeType == "application/vnd.google-apps.folder";
}
