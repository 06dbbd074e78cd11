namespace GridTrain.Checkpoints.Stores;

/// <summary>Checkpoint URIs of the Drive store: <c>gdrive:{manifest file id}/{checkpoint file name}</c>.</summary>
public static class DriveCheckpointUri
{
    public const string Scheme = "gdrive:";

    public static string Format(string manifestId, string fileName) => Scheme + manifestId + "/" + fileName;

    /// <summary>The manifest's file id; null when <paramref name="uri"/> is not a Drive checkpoint URI.</summary>
    public static string? ManifestId(string uri)
    {
        if (!uri.StartsWith(Scheme, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = uri[Scheme.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var id = slash < 0 ? rest : rest[..slash];
        return id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? id : null;
    }
}
