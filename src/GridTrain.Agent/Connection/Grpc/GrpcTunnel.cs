using System.Runtime.CompilerServices;
using Grpc.Core;
using GridTrain.Agent.Connection.Tunnels;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.AgentProtocol;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Agent.Connection.Grpc;

/// <summary>A tunnel over <c>AgentService.Tunnel</c>: the hello went first; writes take turns and are awaited (HTTP/2 flow control).</summary>
internal sealed class GrpcTunnel(AsyncDuplexStreamingCall<Wire.TunnelFrame, Wire.TunnelFrame> call) : ITunnel
{
    private readonly SemaphoreSlim _writing = new(1, 1);

    public async IAsyncEnumerable<TunnelFrame> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            bool more;
            try
            {
                more = await call.ResponseStream.MoveNext(cancellationToken);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                // The controller ended the tunnel (the user cancelled or went away): no more input.
                yield break;
            }

            if (!more)
            {
                yield break;
            }

            if (call.ResponseStream.Current.ToDomain() is { } frame)
            {
                yield return frame;
            }
        }
    }

    public async Task WriteAsync(TunnelFrame frame, CancellationToken cancellationToken)
    {
        var message = frame.ToProto();
        await _writing.WaitAsync(cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(message, cancellationToken);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TunnelClosedException(ex.Status.Detail, ex);
        }
        catch (InvalidOperationException ex)
        {
            // Writing after the call ended (the controller cancelled it).
            throw new TunnelClosedException(ex.Message, ex);
        }
        finally
        {
            _writing.Release();
        }
    }

    public async Task CompleteAsync()
    {
        await _writing.WaitAsync();
        try
        {
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
            throw new TunnelClosedException(ex.Message, ex);
        }
        finally
        {
            _writing.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        call.Dispose();
        _writing.Dispose();
        return ValueTask.CompletedTask;
    }
}
