using Grpc.Core;
using GridTrain.Client;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Agent.Connection.Grpc;

/// <summary>
/// The agent's heartbeats on one long-lived <c>Heartbeats</c> stream, opened on first use and again after any failure,
/// so a heartbeat costs neither side a call's per-request work. A heartbeat the stream cannot carry (the stream failed
/// or ended, or the controller is older and answers UNIMPLEMENTED) goes as a <c>Heartbeat</c> call instead, with the
/// call's leader following and retries, so it fails as the call would; after UNIMPLEMENTED, calls carry every
/// heartbeat until the agent registers again. A heartbeat unanswered within the call timeout fails as
/// DEADLINE_EXCEEDED, as the call would, and moves the invoker to another replica. Not thread-safe: one heartbeat at a
/// time, as the heartbeat loop sends them.
/// </summary>
internal sealed class HeartbeatStream(Wire.AgentService.AgentServiceClient client, LeaderFollowingInvoker invoker, TimeProvider time, TimeSpan timeout) : IDisposable
{
    private AsyncDuplexStreamingCall<Wire.HeartbeatRequest, Wire.HeartbeatResponse>? _call;
    private CancellationToken _openedFor;
    private Uri? _address;
    private bool _unsupported;

    /// <summary>Sends <paramref name="request"/> on the stream, or with <paramref name="call"/> when the stream cannot carry it.</summary>
    public async Task<Wire.HeartbeatResponse> SendAsync(Wire.HeartbeatRequest request, Func<Task<Wire.HeartbeatResponse>> call, CancellationToken cancellationToken)
    {
        if (_unsupported)
        {
            return await call();
        }

        if (_call is null || _openedFor != cancellationToken)
        {
            // A stream lives as long as the connection whose heartbeats it carries.
            Drop();
            _address = invoker.Current;
            _call = client.Heartbeats(cancellationToken: cancellationToken);
            _openedFor = cancellationToken;
        }

        using var exchangeTimeout = new CancellationTokenSource(timeout, time);
        using var exchange = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, exchangeTimeout.Token);
        try
        {
            await _call.RequestStream.WriteAsync(request, exchange.Token);
            if (await _call.ResponseStream.MoveNext(exchange.Token))
            {
                return _call.ResponseStream.Current;
            }
        }
        catch (Exception) when (exchangeTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Drop();
            var unanswered = new RpcException(new Status(StatusCode.DeadlineExceeded, $"no answer to a heartbeat within {timeout.TotalSeconds:0.#} s"));
            invoker.Follow(_address!, unanswered);
            throw unanswered;
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or IOException or ObjectDisposedException && !cancellationToken.IsCancellationRequested)
        {
            _unsupported = ex is RpcException { StatusCode: StatusCode.Unimplemented };
        }

        // The stream failed or ended without an answer: this heartbeat goes as a call, and the next one reopens it.
        Drop();
        return await call();
    }

    /// <summary>Tries the stream again (after registering: the controller may have been upgraded meanwhile).</summary>
    public void Reset()
    {
        Drop();
        _unsupported = false;
    }

    public void Dispose() => Drop();

    private void Drop()
    {
        _call?.Dispose();
        _call = null;
    }
}
