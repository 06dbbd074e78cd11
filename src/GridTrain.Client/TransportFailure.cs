using System.Net.Http;
using Grpc.Core;

namespace GridTrain.Client;

/// <summary>
/// A call that failed because its connection did (a keepalive ping unanswered, the connection reset mid-stream):
/// grpc-dotnet reports that as INTERNAL, but nothing went wrong inside the controller — it is UNAVAILABLE, as gRPC
/// defines a lost connection, so callers retry or move to another replica instead of treating it as a bug.
/// </summary>
internal static class TransportFailure
{
    /// <summary><paramref name="ex"/> as UNAVAILABLE when it is a lost connection reported as INTERNAL; else null.</summary>
    public static RpcException? AsUnavailable(RpcException ex)
    {
        if (ex.StatusCode != StatusCode.Internal || !IsTransport(ex.Status.DebugException))
        {
            return null;
        }

        return new RpcException(new Status(StatusCode.Unavailable, $"the connection to the controller was lost: {ex.Status.Detail}", ex.Status.DebugException), ex.Trailers);
    }

    private static bool IsTransport(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is HttpProtocolException or HttpIOException or IOException or HttpRequestException)
            {
                return true;
            }
        }

        return false;
    }
}
