using Grpc.Core;
using Grpc.Core.Interceptors;
using GridTrain.Domain;
using Microsoft.Extensions.Logging;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// Turns refused operations into their gRPC status with the domain's message, and anything unexpected into
/// INTERNAL without internals (the details go to the log).
/// </summary>
internal sealed partial class GridErrorInterceptor(ILogger<GridErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Translate(ex, context) is { } rpc)
        {
            throw rpc;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (Translate(ex, context) is { } rpc)
        {
            throw rpc;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (Translate(ex, context) is { } rpc)
        {
            throw rpc;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (Translate(ex, context) is { } rpc)
        {
            throw rpc;
        }
    }

    private RpcException? Translate(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case RpcException:
                return null;
            case GridException grid:
                return new RpcException(new Status(ToStatus(grid.Error), grid.Message));
            case Leadership.LeadershipLostException lost:
                return new RpcException(new Status(StatusCode.Unavailable, $"this controller is no longer the leader ({lost.Message}); retry: another replica leads"));
            case Google.Protobuf.InvalidProtocolBufferException:
            case { InnerException: Google.Protobuf.InvalidProtocolBufferException }:
                // A message of a stream that is not valid protobuf (a unary request's is refused before it arrives).
                return new RpcException(new Status(StatusCode.InvalidArgument, "request: a message of the stream is not valid protobuf (malformed)"));
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
            default:
                LogUnexpected(logger, context.Method, ex);
                return new RpcException(new Status(StatusCode.Internal, "internal error; see the controller's log"));
        }
    }

    private static StatusCode ToStatus(GridError error) => error switch
    {
        GridError.InvalidArgument => StatusCode.InvalidArgument,
        GridError.NotFound => StatusCode.NotFound,
        GridError.FailedPrecondition => StatusCode.FailedPrecondition,
        GridError.ResourceExhausted => StatusCode.ResourceExhausted,
        GridError.PermissionDenied => StatusCode.PermissionDenied,
        GridError.DataLoss => StatusCode.DataLoss,
        GridError.Internal => StatusCode.Internal,
        _ => StatusCode.Unknown,
    };

    [LoggerMessage(1, LogLevel.Error, "Unexpected error in {Method}", EventName = "UnexpectedRpcError")]
    private static partial void LogUnexpected(ILogger logger, string method, Exception exception);
}
