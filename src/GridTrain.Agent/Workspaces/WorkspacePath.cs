namespace GridTrain.Agent.Workspaces;

/// <summary>
/// The one rule for every path a user's request names on an agent (workspace files, dataset roots): resolved after
/// following symbolic links, it must stay inside its root. Lexical checks alone are not enough: a link
/// <c>root/evil -&gt; /etc</c> passes them.
/// </summary>
public static class WorkspacePath
{
    /// <summary>
    /// The absolute path of <paramref name="relativePath"/> under <paramref name="root"/>, with every symbolic link in
    /// its existing part followed; what does not exist yet is appended as named.
    /// </summary>
    /// <exception cref="WorkspacePathException">Absolute, or resolving outside <paramref name="root"/>.</exception>
    public static string Resolve(string root, string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        if (relativePath.Contains('\0', StringComparison.Ordinal))
        {
            throw new WorkspacePathException($"path '{relativePath.Replace('\0', '?')}' contains a NUL character");
        }

        if (Path.IsPathRooted(relativePath))
        {
            throw new WorkspacePathException($"path '{relativePath}' is absolute; name a path relative to the workspace");
        }

        var realRoot = RealPath(Path.GetFullPath(root));
        var candidate = Path.GetFullPath(Path.Combine(realRoot, relativePath));
        if (!IsInside(realRoot, candidate))
        {
            throw new WorkspacePathException($"path '{relativePath}' leads outside the workspace");
        }

        var resolved = RealPath(candidate);
        if (!IsInside(realRoot, resolved))
        {
            throw new WorkspacePathException($"path '{relativePath}' leads outside the workspace through a symbolic link");
        }

        return resolved;
    }

    /// <summary>Whether <paramref name="path"/>, after following its links, is <paramref name="root"/> or inside it.</summary>
    public static bool StaysInside(string root, string path) => IsInside(RealPath(Path.GetFullPath(root)), RealPath(Path.GetFullPath(path)));

    /// <summary><paramref name="path"/> made absolute, with the links of its existing part followed (realpath(3), lenient about a missing tail).</summary>
    public static string Real(string path) => RealPath(Path.GetFullPath(path));

    /// <summary>Bytes of the regular files under <paramref name="directory"/>, links not followed; 0 when it does not exist.</summary>
    public static long Size(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true };
        return new DirectoryInfo(directory).EnumerateFiles("*", options).Sum(file => file.Length);
    }

    /// <summary>
    /// <paramref name="path"/> with every symbolic link of its longest existing prefix followed, the rest appended.
    /// </summary>
    private static string RealPath(string path)
    {
        var existing = path;
        var rest = new Stack<string>();
        while (!Path.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            rest.Push(Path.GetFileName(existing));
            existing = parent;
        }

        var real = Follow(existing);
        while (rest.Count > 0)
        {
            real = Path.Combine(real, rest.Pop());
        }

        return real;
    }

    /// <summary>An existing path with each component's link followed (as realpath(3) does).</summary>
    private static string Follow(string path)
    {
        var root = Path.GetPathRoot(path)!;
        var current = root;
        foreach (var part in path[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            for (var hops = 0; new FileInfo(current).LinkTarget is { } target; hops++)
            {
                if (hops == 40)
                {
                    throw new WorkspacePathException($"too many levels of symbolic links at '{current}'");
                }

                current = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(current)!, target));
                current = Follow(current);
            }
        }

        return current;
    }

    private static bool IsInside(string root, string path) =>
        path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
