namespace GridTrain.Controller.Security;

/// <summary>
/// Paths taken from requests: absolute, already normalized (no <c>.</c> or <c>..</c> segments, no backslashes, no
/// percent-encoding, no control characters), and inside one of the configured roots when there are any. A path that
/// passes cannot name anything outside its root, however it is later combined.
/// </summary>
internal static class PathRules
{
    public const int MaxPathLength = 1024;

    /// <summary>The problem with <paramref name="path"/> as the value of <paramref name="field"/>; null when it is acceptable.</summary>
    public static string? Check(string path, IReadOnlyList<string> roots, string field)
    {
        if (path.Length > MaxPathLength)
        {
            return $"{field}: at most {MaxPathLength} characters, got {path.Length}";
        }

        if (path.Any(char.IsControl))
        {
            return $"{field}: must not contain control characters";
        }

        if (path.Contains('%', StringComparison.Ordinal) || path.Contains('\\', StringComparison.Ordinal))
        {
            return $"{field}: must not contain '%' (encoded characters) or '\\'";
        }

        if (!path.StartsWith('/') || !Path.IsPathFullyQualified(path))
        {
            return $"{field}: must be an absolute path";
        }

        if (path.TrimEnd('/').Split('/').Skip(1).Any(segment => segment is "" or "." or ".."))
        {
            return $"{field}: must be a normalized path (no '.', '..' or empty segments)";
        }

        if (roots.Count > 0 && !roots.Any(root => IsInside(path, root)))
        {
            return $"{field}: must lie inside an allowed directory ({string.Join(", ", roots)})";
        }

        return null;
    }

    private static bool IsInside(string path, string root)
    {
        var normalizedRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        return path == normalizedRoot || path.StartsWith(normalizedRoot + "/", StringComparison.Ordinal);
    }
}
