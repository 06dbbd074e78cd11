using Grpc.Core;

namespace GridTrain.Client;

/// <summary>
/// A response stream that tells its <see cref="LeaderFollowingInvoker"/> when it fails, so the caller's next call goes to
/// the leader; a lost connection fails it UNAVAILABLE (see <see cref="TransportFailure"/>).
/// </summary>
internal sealed class FollowingStreamReader<T>(IAsyncStreamReader<T> inner, Action<RpcException> failed) : IAsyncStreamReader<T>
{
    public T Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MoveNext(cancellationToken);
        }
        catch (RpcException ex) when (TransportFailure.AsUnavailable(ex) is { } lost)
        {
            failed(lost);
            throw lost;
        }
        catch (RpcException ex)
        {
            failed(ex);
            throw;
        }
    }
}
