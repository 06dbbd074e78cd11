namespace GridTrain.Domain.Jobs;

/// <summary>
/// A command job: the user's own program, run in the session's workspace under the same leases, fencing, checkpoint
/// and resume rules as built-in jobs. Its checkpoints, events and TensorBoard files follow the contract of
/// <c>docs/user-code.md</c> (<c>GRIDTRAIN_CHECKPOINT_DIR</c>, <c>GRIDTRAIN_EVENTS</c>, …).
/// </summary>
public sealed record CommandSpec
{
    /// <summary>Largest <see cref="Files"/> archive accepted, in bytes (3 MiB, to stay well inside a gRPC message).</summary>
    public const int MaxFilesBytes = 3 * 1024 * 1024;

    /// <summary>Most arguments in <see cref="Argv"/>.</summary>
    public const int MaxArguments = 1024;

    /// <summary>Most characters of <see cref="Argv"/> and <see cref="Environment"/> together.</summary>
    public const int MaxTextLength = 64 * 1024;

    /// <summary>Most variables in <see cref="Environment"/>.</summary>
    public const int MaxVariables = 256;

    /// <summary>The program and its arguments (no shell: use <c>sh -c</c> for one); the first must not be empty.</summary>
    public required IReadOnlyList<string> Argv { get; init; }

    /// <summary>Variables set for the program; names may not start with <c>GRIDTRAIN_</c> (the grid's own).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Working directory relative to the session's workspace; "" is the workspace itself.</summary>
    public string WorkingDirectory { get; init; } = "";

    /// <summary>A zip archive of a directory uploaded with the job, unpacked into the working directory before the first attempt; null for none.</summary>
    public byte[]? Files { get; init; }

    /// <summary>Id of a Google Drive folder the agent downloads into its dataset cache; the program finds it at <c>GRIDTRAIN_DATA_DIR</c>.</summary>
    public string? DriveFolderId { get; init; }

    /// <summary>Set by the agent: the local copy of <see cref="DriveFolderId"/> in its dataset cache; null until downloaded.</summary>
    public string? DataDirectory { get; init; }
}
