using Grpc.Core;

namespace GridTrain.Client;

/// <summary>The attempts of one unary call a <see cref="LeaderFollowingInvoker"/> sends: status, headers and trailers are the last attempt's.</summary>
internal sealed class UnaryAttempts<TResponse>
{
    private AsyncUnaryCall<TResponse>? _last;

    public int Count { get; private set; }

    public AsyncUnaryCall<TResponse> Start(AsyncUnaryCall<TResponse> call)
    {
        _last?.Dispose();
        _last = call;
        Count++;
        return call;
    }

    /// <summary>The last attempt's headers, once the call is answered.</summary>
    public async Task<Metadata> HeadersAsync(Task<TResponse> response)
    {
        try
        {
            await response;
        }
        catch (RpcException)
        {
            // The headers of a failed call are still those of its last attempt.
        }

        return await _last!.ResponseHeadersAsync;
    }

    public Status Status() => _last?.GetStatus() ?? throw new InvalidOperationException("the call has not been sent");

    public Metadata Trailers() => _last?.GetTrailers() ?? throw new InvalidOperationException("the call has not been sent");

    public void Dispose() => _last?.Dispose();
}
