namespace GridTrain.Domain.AgentProtocol;

/// <summary>A frame of a tunnel between an agent and the controller (and so the user's call).</summary>
public abstract record TunnelFrame;

/// <summary>Client to command: a chunk of standard input.</summary>
public sealed record StdinData(ReadOnlyMemory<byte> Data) : TunnelFrame;

/// <summary>Client to command: standard input ends.</summary>
public sealed record StdinClosed : TunnelFrame;

/// <summary>Client to agent: the user closed their side; no more input comes.</summary>
public sealed record InputEnded : TunnelFrame;

/// <summary>Command to client: bytes of standard output (or, with <paramref name="Stderr"/>, standard error).</summary>
public sealed record OutputData(bool Stderr, ReadOnlyMemory<byte> Data) : TunnelFrame;

/// <summary>The command ended: <paramref name="ExitCode"/> (128 + signal when a signal ended it), the signal (0: none), whether the timeout ended it.</summary>
public sealed record ExecExited(int ExitCode, int Signal, bool TimedOut) : TunnelFrame;

/// <summary>An entry of a copy: <paramref name="Path"/> relative to the copy's root ('/' separators, "" for the root).</summary>
public sealed record FileHeader(string Path, FileEntryType Type, long Size, int Mode) : TunnelFrame;

/// <summary>A chunk of the current file.</summary>
public sealed record FileData(ReadOnlyMemory<byte> Data) : TunnelFrame;

/// <summary>The end of the current file, with the SHA-256 of its bytes.</summary>
public sealed record FileEnd(byte[] Sha256) : TunnelFrame;

/// <summary>An upload was committed at <paramref name="Path"/> (relative to the workspace).</summary>
public sealed record UploadCompleted(string Path, long Files, long Bytes) : TunnelFrame;

/// <summary>A directory's entries.</summary>
public sealed record FileListing(IReadOnlyList<FileEntry> Entries) : TunnelFrame;

/// <summary>The request failed; the last frame.</summary>
public sealed record TunnelFailed(GridError Error, string Message) : TunnelFrame;

/// <summary>What an entry of a workspace is.</summary>
public enum FileEntryType
{
    File,
    Directory,
    Symlink,
    Other,
}

/// <summary>An entry of a workspace directory.</summary>
public sealed record FileEntry(string Name, FileEntryType Type, long Size, DateTimeOffset ModifiedAt);
