using System.Text.Json.Serialization;

namespace GridTrain.Checkpoints.Drive;

/// <summary>A Drive <c>files</c> resource, with the fields GridTrain asks for.</summary>
public sealed record DriveFile
{
    /// <summary>Mime type of a Drive folder.</summary>
    public const string FolderMimeType = "application/vnd.google-apps.folder";

    [JsonPropertyName("id")]
    public string Id { get; init; } = "";

    [JsonPropertyName("name")]
    public string Name { get; init; } = "";

    [JsonPropertyName("mimeType")]
    public string? MimeType { get; init; }

    [JsonPropertyName("parents")]
    public IReadOnlyList<string>? Parents { get; init; }

    [JsonPropertyName("appProperties")]
    public IReadOnlyDictionary<string, string>? AppProperties { get; init; }

    /// <summary>Size in bytes; Drive sends it as a JSON string.</summary>
    [JsonPropertyName("size")]
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)]
    public long? Size { get; init; }

    /// <summary>Lower-case hex MD5 of the content, as Drive computed it.</summary>
    [JsonPropertyName("md5Checksum")]
    public string? Md5Checksum { get; init; }

    /// <summary>Lower-case hex SHA-256 of the content, as Drive computed it.</summary>
    [JsonPropertyName("sha256Checksum")]
    public string? Sha256Checksum { get; init; }

    [JsonPropertyName("createdTime")]
    public DateTimeOffset? CreatedTime { get; init; }

    /// <summary>The value of an app property, or null.</summary>
    public string? Property(string key) => AppProperties is { } p && p.TryGetValue(key, out var v) ? v : null;
}
