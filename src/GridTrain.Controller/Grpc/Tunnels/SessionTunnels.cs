using Grpc.Core;
using GridTrain.Contracts.Mapping;
using GridTrain.Controller.Security;
using GridTrain.Domain;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Sessions;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Controller.Grpc.Tunnels;

/// <summary>
/// The user's side of exec, copies and listings: checks the call (user code on, the caller's session, READY or BUSY,
/// a usable request), opens a tunnel to the session's agent through <see cref="TunnelBroker"/> and pipes frames both
/// ways, each write awaited so that flow control reaches from the user to the process. An exec or a copy is activity
/// on the session while it lasts; a listing is looking, not activity.
/// </summary>
internal sealed class SessionTunnels(GridCoordinator grid, ResourceAccess access, TunnelBroker broker)
{
    public async Task ExecAsync(IAsyncStreamReader<Wire.ExecRequest> requests, IServerStreamWriter<Wire.ExecResponse> responses, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requests.MoveNext(cancellationToken) || requests.Current.MessageCase != Wire.ExecRequest.MessageOneofCase.Start)
        {
            throw new GridException(GridError.InvalidArgument, "the first message of an exec must be start {session_id, argv}");
        }

        var start = requests.Current.Start;
        RequireUserCode("session exec");
        if (start.Argv.Count == 0 || string.IsNullOrWhiteSpace(start.Argv[0]))
        {
            throw new GridException(GridError.InvalidArgument, "argv is empty: name the program to run, e.g. session exec ses-… -- ls -a");
        }

        if (start.Timeout.ToDomain("timeout") is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new GridException(GridError.InvalidArgument, $"timeout must be positive, got {timeout}");
        }

        var session = await RequireLiveSessionAsync(context, start.SessionId, "exec");
        using var activity = grid.BeginActivity(session.Id, "exec");
        await using var link = await broker.OpenAsync(session, start.ToDomain(), cancellationToken);
        await RelayAsync(
            link,
            session.Id,
            "exec",
            ct => PumpAsync(requests, r => new Wire.TunnelFrame { ExecRequest = r }, link, ct),
            async frame =>
            {
                if (frame.FrameCase != Wire.TunnelFrame.FrameOneofCase.ExecResponse)
                {
                    return false;
                }

                await responses.WriteAsync(frame.ExecResponse, cancellationToken);
                return frame.ExecResponse.MessageCase == Wire.ExecResponse.MessageOneofCase.Exit;
            },
            endIsAnswer: false,
            cancellationToken);
    }

    public async Task<Wire.UploadFilesResponse> UploadAsync(IAsyncStreamReader<Wire.UploadFilesRequest> requests, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        if (!await requests.MoveNext(cancellationToken) || requests.Current.MessageCase != Wire.UploadFilesRequest.MessageOneofCase.Start)
        {
            throw new GridException(GridError.InvalidArgument, "the first message of an upload must be start {session_id, path, name, total_bytes}");
        }

        var start = requests.Current.Start;
        RequireUserCode("session cp");
        if (start.TotalBytes < 0)
        {
            throw new GridException(GridError.InvalidArgument, $"total_bytes must not be negative, got {start.TotalBytes}");
        }

        var session = await RequireLiveSessionAsync(context, start.SessionId, "copying files");
        using var activity = grid.BeginActivity(session.Id, "cp");
        await using var link = await broker.OpenAsync(session, new UploadRequest(start.Path, start.Name, start.TotalBytes), cancellationToken);
        Wire.UploadFilesResponse? answer = null;
        await RelayAsync(
            link,
            session.Id,
            "copy",
            ct => PumpAsync(requests, r => new Wire.TunnelFrame { UploadRequest = r }, link, ct),
            frame =>
            {
                answer = frame.UploadResponse;
                return Task.FromResult(answer is not null);
            },
            endIsAnswer: false,
            cancellationToken);
        return answer!;
    }

    public async Task DownloadAsync(Wire.DownloadFilesRequest request, IServerStreamWriter<Wire.DownloadFilesResponse> responses, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        RequireUserCode("session cp");
        var session = await RequireLiveSessionAsync(context, request.SessionId, "copying files");
        using var activity = grid.BeginActivity(session.Id, "cp");
        await using var link = await broker.OpenAsync(session, new DownloadRequest(request.Path), cancellationToken);
        await RelayAsync(
            link,
            session.Id,
            "copy",
            null,
            async frame =>
            {
                if (frame.DownloadResponse is { } response)
                {
                    await responses.WriteAsync(response, cancellationToken);
                }

                return false;
            },
            endIsAnswer: true,
            cancellationToken);
    }

    public async Task<Wire.ListFilesResponse> ListAsync(Wire.ListFilesRequest request, ServerCallContext context)
    {
        var cancellationToken = context.CancellationToken;
        RequireUserCode("session ls");
        var session = await RequireLiveSessionAsync(context, request.SessionId, "listing files");
        await using var link = await broker.OpenAsync(session, new ListRequest(request.Path), cancellationToken);
        Wire.ListFilesResponse? answer = null;
        await RelayAsync(link, session.Id, "listing", null, frame =>
        {
            answer = frame.ListResponse;
            return Task.FromResult(answer is not null);
        }, endIsAnswer: false, cancellationToken);
        return answer!;
    }

    private void RequireUserCode(string what)
    {
        if (!grid.Options.UserCode)
        {
            throw GridException.UserCodeOff(what);
        }
    }

    private async Task<Session> RequireLiveSessionAsync(ServerCallContext context, string sessionId, string what)
    {
        var session = await access.SessionAsync(context.Caller(), sessionId, context.CancellationToken);
        return session.State is SessionState.Ready or SessionState.Busy && session.AgentId is not null
            ? session
            : throw new GridException(GridError.FailedPrecondition, $"session {session.Id} is {session.State.ToString().ToUpperInvariant()}; {what} needs a READY or BUSY session"
                + (session.IsEnded ? " (create a new one)" : session.IsResumable ? " (resume it first)" : " (wait until it is READY)"));
    }

    /// <summary>
    /// Pipes until the agent's answer is complete: <paramref name="onFrame"/> gets each agent frame and says whether it
    /// was the last; with <paramref name="endIsAnswer"/>, the agent ending its stream completes the answer. An error
    /// frame ends the call with the agent's status and message.
    /// </summary>
    private static async Task RelayAsync(TunnelLink link, string sessionId, string what, Func<CancellationToken, Task>? pumpUp, Func<Wire.TunnelFrame, Task<bool>> onFrame, bool endIsAnswer, CancellationToken cancellationToken)
    {
        using var stopUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = pumpUp?.Invoke(stopUp.Token) ?? Task.CompletedTask;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await link.FromAgent.MoveNext(cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    throw AgentGone(sessionId, what);
                }

                if (!more)
                {
                    if (endIsAnswer)
                    {
                        return;
                    }

                    throw AgentGone(sessionId, what);
                }

                var frame = link.FromAgent.Current;
                if (frame.FrameCase == Wire.TunnelFrame.FrameOneofCase.Error)
                {
                    throw new RpcException(new Status((StatusCode)frame.Error.Code, frame.Error.Message));
                }

                if (await onFrame(frame))
                {
                    return;
                }
            }
        }
        finally
        {
            await stopUp.CancelAsync();
            await up;
        }
    }

    /// <summary>The user's input to the agent, then <c>input_end</c> when the user closes their side.</summary>
    private static async Task PumpAsync<T>(IAsyncStreamReader<T> requests, Func<T, Wire.TunnelFrame> wrap, TunnelLink link, CancellationToken cancellationToken)
    {
        try
        {
            while (await requests.MoveNext(cancellationToken))
            {
                await link.ToAgent.WriteAsync(wrap(requests.Current), cancellationToken);
            }

            await link.ToAgent.WriteAsync(new Wire.TunnelFrame { InputEnd = true }, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The answer is complete, the user cancelled, or the agent went away: the relay says which.
        }
    }

    private static RpcException AgentGone(string sessionId, string what) =>
        new(new Status(StatusCode.Unavailable, $"the agent of session {sessionId} went away during the {what}; try again"));
}
