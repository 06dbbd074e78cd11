namespace GridTrain.Domain.Jobs;

/// <summary>
/// A TorchScript module exported from PyTorch (<c>torch.jit.script</c> or <c>trace</c>), uploaded with the job
/// (<see cref="Module"/>), read from a path on the agent's machine (<see cref="Path"/>) or from a file on Google Drive
/// (<see cref="DriveFileId"/>); exactly one of them. It maps a batch of inputs ([N, C, H, W] images or [N, F] features)
/// to [N, classes] logits.
/// </summary>
public sealed record TorchScriptSpec
{
    /// <summary>Largest module accepted inline, in bytes (3 MiB, to stay well inside a gRPC message).</summary>
    public const int MaxModuleBytes = 3 * 1024 * 1024;

    /// <summary>Absolute path of the <c>.pt</c> file on the agent's machine.</summary>
    public string? Path { get; init; }

    /// <summary>The <c>.pt</c> file's bytes, uploaded with the job.</summary>
    public byte[]? Module { get; init; }

    /// <summary>Id of the <c>.pt</c> file on Google Drive; the agent downloads it once into its cache (verified by MD5).</summary>
    public string? DriveFileId { get; init; }
}
