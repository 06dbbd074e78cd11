using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using GridTrain.Domain;
using GridTrain.Domain.AgentProtocol;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Contracts.Mapping;

/// <summary>Tunnels (exec and file transfers) between the wire and the domain.</summary>
public static class TunnelMapping
{
    public static Wire.OpenTunnel ToProto(this OpenTunnel open)
    {
        var message = new Wire.OpenTunnel { TunnelId = open.TunnelId, SessionId = open.SessionId, LeaseEpoch = open.LeaseEpoch };
        switch (open.Request)
        {
            case ExecRequest exec:
                message.Exec = new Wire.ExecStart { SessionId = open.SessionId, Argv = { exec.Argv }, Stdin = exec.Stdin, Timeout = exec.Timeout is { } t ? Duration.FromTimeSpan(t) : null };
                break;
            case UploadRequest upload:
                message.Upload = new Wire.UploadStart { SessionId = open.SessionId, Path = upload.Path, Name = upload.Name, TotalBytes = upload.TotalBytes };
                break;
            case DownloadRequest download:
                message.Download = new Wire.DownloadFilesRequest { SessionId = open.SessionId, Path = download.Path };
                break;
            case ListRequest list:
                message.List = new Wire.ListFilesRequest { SessionId = open.SessionId, Path = list.Path };
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(open), open.Request.GetType().Name, "unknown tunnel request");
        }

        return message;
    }

    /// <summary>The domain's tunnel directive; null when the request is of a kind this build does not know.</summary>
    public static OpenTunnel? ToDomain(this Wire.OpenTunnel open)
    {
        TunnelRequest? request = open.RequestCase switch
        {
            Wire.OpenTunnel.RequestOneofCase.Exec => open.Exec.ToDomain(),
            Wire.OpenTunnel.RequestOneofCase.Upload => new UploadRequest(open.Upload.Path, open.Upload.Name, open.Upload.TotalBytes),
            Wire.OpenTunnel.RequestOneofCase.Download => new DownloadRequest(open.Download.Path),
            Wire.OpenTunnel.RequestOneofCase.List => new ListRequest(open.List.Path),
            _ => null,
        };
        return request is null ? null : new OpenTunnel(open.TunnelId, open.SessionId, open.LeaseEpoch, request);
    }

    public static ExecRequest ToDomain(this Wire.ExecStart start) =>
        new([.. start.Argv], start.Stdin, start.Timeout is { } t ? t.ToTimeSpan() : null);

    /// <summary>A frame from the agent, on the wire.</summary>
    public static Wire.TunnelFrame ToProto(this TunnelFrame frame) => frame switch
    {
        OutputData { Stderr: false } o => new Wire.TunnelFrame { ExecResponse = new Wire.ExecResponse { Stdout = UnsafeByteOperations.UnsafeWrap(o.Data) } },
        OutputData o => new Wire.TunnelFrame { ExecResponse = new Wire.ExecResponse { Stderr = UnsafeByteOperations.UnsafeWrap(o.Data) } },
        ExecExited e => new Wire.TunnelFrame { ExecResponse = new Wire.ExecResponse { Exit = new Wire.ExecExit { ExitCode = e.ExitCode, Signal = e.Signal, TimedOut = e.TimedOut } } },
        FileHeader h => new Wire.TunnelFrame { DownloadResponse = new Wire.DownloadFilesResponse { File = h.ToProto() } },
        FileData d => new Wire.TunnelFrame { DownloadResponse = new Wire.DownloadFilesResponse { Data = UnsafeByteOperations.UnsafeWrap(d.Data) } },
        FileEnd e => new Wire.TunnelFrame { DownloadResponse = new Wire.DownloadFilesResponse { End = new Wire.FileEnd { Sha256 = ByteString.CopyFrom(e.Sha256) } } },
        UploadCompleted u => new Wire.TunnelFrame { UploadResponse = new Wire.UploadFilesResponse { Path = u.Path, Files = u.Files, Bytes = u.Bytes } },
        FileListing l => new Wire.TunnelFrame { ListResponse = new Wire.ListFilesResponse { Entries = { l.Entries.Select(ToProto) } } },
        TunnelFailed f => new Wire.TunnelFrame { Error = new Wire.TunnelError { Code = StatusCodeOf(f.Error), Message = f.Message } },
        _ => throw new ArgumentOutOfRangeException(nameof(frame), frame.GetType().Name, "not a frame an agent sends"),
    };

    /// <summary>A frame from the controller (the user's input), in domain terms; null for one this build does not know.</summary>
    public static TunnelFrame? ToDomain(this Wire.TunnelFrame frame) => frame.FrameCase switch
    {
        Wire.TunnelFrame.FrameOneofCase.InputEnd => new InputEnded(),
        Wire.TunnelFrame.FrameOneofCase.ExecRequest => frame.ExecRequest.MessageCase switch
        {
            Wire.ExecRequest.MessageOneofCase.Stdin => new StdinData(frame.ExecRequest.Stdin.Memory),
            Wire.ExecRequest.MessageOneofCase.StdinClose => new StdinClosed(),
            _ => null,
        },
        Wire.TunnelFrame.FrameOneofCase.UploadRequest => frame.UploadRequest.MessageCase switch
        {
            Wire.UploadFilesRequest.MessageOneofCase.File => frame.UploadRequest.File.ToDomain(),
            Wire.UploadFilesRequest.MessageOneofCase.Data => new FileData(frame.UploadRequest.Data.Memory),
            Wire.UploadFilesRequest.MessageOneofCase.End => new FileEnd(frame.UploadRequest.End.Sha256.ToByteArray()),
            _ => null,
        },
        _ => null,
    };

    public static Wire.FileHeader ToProto(this FileHeader header) =>
        new() { Path = header.Path, Type = ToProto(header.Type), Size = header.Size, Mode = (uint)header.Mode };

    public static FileHeader ToDomain(this Wire.FileHeader header) =>
        new(header.Path, header.Type == Wire.FileType.Directory ? FileEntryType.Directory : FileEntryType.File, header.Size, (int)header.Mode);

    public static Wire.WorkspaceEntry ToProto(this FileEntry entry) =>
        new() { Name = entry.Name, Type = ToProto(entry.Type), Size = entry.Size, ModifiedAt = entry.ModifiedAt.ToTimestamp() };

    private static Wire.FileType ToProto(FileEntryType type) => type switch
    {
        FileEntryType.File => Wire.FileType.File,
        FileEntryType.Directory => Wire.FileType.Directory,
        FileEntryType.Symlink => Wire.FileType.Symlink,
        _ => Wire.FileType.Other,
    };

    /// <summary>The gRPC status code (its number) of a refusal.</summary>
    public static int StatusCodeOf(GridError error) => error switch
    {
        GridError.InvalidArgument => 3,
        GridError.NotFound => 5,
        GridError.PermissionDenied => 7,
        GridError.ResourceExhausted => 8,
        GridError.FailedPrecondition => 9,
        GridError.DataLoss => 15,
        _ => 13,
    };
}
