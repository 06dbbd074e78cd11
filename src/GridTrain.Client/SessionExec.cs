using Google.Protobuf;
using Grpc.Core;
using GridTrain.Protos.V1;

namespace GridTrain.Client;

/// <summary><c>SessionService.Exec</c> with streams: what <c>gridtrain session exec</c> does, for programs.</summary>
public static class SessionExec
{
    private const int ChunkBytes = 64 * 1024;

    /// <summary>
    /// Runs <paramref name="start"/> and copies its output to <paramref name="stdout"/> and <paramref name="stderr"/>
    /// (each write awaited, so a slow stream slows the command); with <paramref name="stdin"/> (and
    /// <c>start.Stdin</c>), feeds it that stream to its end. Returns how the command ended. Cancelling stops the
    /// command's whole process group.
    /// </summary>
    /// <exception cref="RpcException">The controller refused the exec (the status says why), or the exec ended without an exit.</exception>
    public static async Task<ExecExit> ExecAsync(this GridTrainClient client, ExecStart start, Stream? stdin, Stream stdout, Stream stderr, CancellationToken cancellationToken = default)
    {
        using var call = client.Sessions.Exec(cancellationToken: cancellationToken);
        await call.RequestStream.WriteAsync(new ExecRequest { Start = start }, cancellationToken);
        using var feeding = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var input = start.Stdin && stdin is not null ? FeedAsync(stdin, call.RequestStream, feeding.Token) : call.RequestStream.CompleteAsync();
        ExecExit? exit = null;
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                var message = call.ResponseStream.Current;
                switch (message.MessageCase)
                {
                    case ExecResponse.MessageOneofCase.Stdout:
                        await stdout.WriteAsync(message.Stdout.Memory, cancellationToken);
                        break;
                    case ExecResponse.MessageOneofCase.Stderr:
                        await stderr.WriteAsync(message.Stderr.Memory, cancellationToken);
                        break;
                    case ExecResponse.MessageOneofCase.Exit:
                        exit = message.Exit;
                        break;
                }
            }
        }
        finally
        {
            await feeding.CancelAsync();
            try
            {
                await input;
            }
            catch (Exception ex) when (ex is OperationCanceledException or RpcException or InvalidOperationException)
            {
                // The command ended (or the call did) before its input: the rest is not wanted.
            }
        }

        return exit ?? throw new RpcException(new Status(StatusCode.Internal, "the exec ended without the command's exit status"));
    }

    private static async Task FeedAsync(Stream stdin, IClientStreamWriter<ExecRequest> requests, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        int read;
        while ((read = await stdin.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await requests.WriteAsync(new ExecRequest { Stdin = ByteString.CopyFrom(buffer, 0, read) }, cancellationToken);
        }

        await requests.WriteAsync(new ExecRequest { StdinClose = true }, cancellationToken);
        await requests.CompleteAsync();
    }
}
