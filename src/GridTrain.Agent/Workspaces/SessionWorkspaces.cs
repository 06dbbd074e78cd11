using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Workspaces;

/// <summary>
/// Each session's working directory on this agent (<c>WORK_DIR/sessions/&lt;id&gt;/workspace</c>), like Colab's
/// <c>/content</c>: shared by every exec and job of the session, kept while the session lives (an agent restart keeps
/// it), deleted when it ends. Every path a user names is resolved here, and nothing outside the workspace is reachable.
/// </summary>
public sealed class SessionWorkspaces(IOptions<AgentOptions> options)
{
    private readonly string _root = Path.Combine(Path.GetFullPath(options.Value.WorkDirectory), "sessions");

    /// <summary>The most a session's workspace may hold, in bytes.</summary>
    public long Limit => options.Value.WorkspaceLimitBytes;

    /// <summary>The workspace directory of <paramref name="sessionId"/> (not created).</summary>
    /// <exception cref="WorkspacePathException">The id is not a plain name.</exception>
    public string PathOf(string sessionId) =>
        JobPaths.Check(sessionId) is { } problem
            ? throw new WorkspacePathException($"session id: {problem.Replace("job id", "session id", StringComparison.Ordinal)}")
            : Path.Combine(_root, sessionId, "workspace");

    /// <summary>Creates the workspace if it does not exist yet; returns its directory.</summary>
    public string Ensure(string sessionId) => Directory.CreateDirectory(PathOf(sessionId)).FullName;

    /// <summary>Whether the session has a workspace on this agent.</summary>
    public bool Exists(string sessionId) => Directory.Exists(PathOf(sessionId));

    /// <summary>Deletes the session's workspace and everything in it (the session ended); a missing one is fine.</summary>
    public void Delete(string sessionId)
    {
        var sessionDirectory = Path.GetDirectoryName(PathOf(sessionId))!;
        if (Directory.Exists(sessionDirectory))
        {
            Directory.Delete(sessionDirectory, recursive: true);
        }
    }

    /// <summary>The sessions that have a workspace here (to delete those of sessions this agent no longer holds).</summary>
    public IReadOnlyList<string> Sessions() =>
        Directory.Exists(_root) ? [.. Directory.EnumerateDirectories(_root).Select(Path.GetFileName).OfType<string>().Where(id => JobPaths.Check(id) is null)] : [];

    /// <summary>
    /// The absolute path of <paramref name="relativePath"/> inside the session's workspace, after following every
    /// symbolic link of its existing part. "" and "." name the workspace itself.
    /// </summary>
    /// <exception cref="WorkspacePathException">The path is absolute or resolves outside the workspace.</exception>
    public string Resolve(string sessionId, string relativePath) => WorkspacePath.Resolve(Ensure(sessionId), relativePath);

    /// <summary>Bytes the workspace holds now (regular files; links are not followed).</summary>
    public long SizeOf(string sessionId) => WorkspacePath.Size(PathOf(sessionId));

    /// <summary>Throws when adding <paramref name="addedBytes"/> would take the workspace over its limit.</summary>
    /// <exception cref="WorkspaceFullException">It would.</exception>
    public void EnsureRoom(string sessionId, long addedBytes)
    {
        var used = SizeOf(sessionId);
        if (used + addedBytes > Limit)
        {
            throw new WorkspaceFullException(
                $"the workspace of {sessionId} would hold {Bytes(used + addedBytes)}, over its limit of {Bytes(Limit)} "
                + "(agent run --workspace-limit); delete files with session exec, or keep large data in Drive");
        }
    }

    private static string Bytes(long bytes) => bytes >= 1L << 30 ? $"{bytes / (double)(1L << 30):0.##} GiB" : $"{bytes / (double)(1L << 20):0.##} MiB";
}

/// <summary>A path names something outside the session's workspace, or is not a usable path.</summary>
public sealed class WorkspacePathException(string message) : Exception(message);

/// <summary>A write would take a session's workspace over its size limit.</summary>
public sealed class WorkspaceFullException(string message) : Exception(message);
