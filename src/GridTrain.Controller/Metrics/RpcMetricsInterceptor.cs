using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace GridTrain.Controller.Metrics;

/// <summary>
/// Counts every gRPC call the controller serves by method and status code, and times unary calls and each exchange of
/// an agent's heartbeat stream, a request answered by one response (other streams, such as an agent's command stream,
/// live for hours; their duration says nothing about latency). Runs outside the error interceptor, so it sees the
/// status the client gets.
/// </summary>
internal sealed class RpcMetricsInterceptor : Interceptor, IDisposable
{
    private static readonly double[] DurationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter;
    private readonly Counter<long> _calls;
    private readonly Histogram<double> _duration;
    private readonly TimeProvider _time;

    public RpcMetricsInterceptor(IMeterFactory meterFactory, TimeProvider time)
    {
        _time = time;
        _meter = meterFactory.Create(GridStateGauges.MeterName + ".Rpc");
        _calls = _meter.CreateCounter<long>("gridtrain.rpc.server.calls", "{call}", "gRPC calls served, by method and status code (grpc_code other than OK is an error).");
        _duration = _meter.CreateHistogram(
            "gridtrain.rpc.server.duration",
            "s",
            "Duration of unary gRPC calls and of each exchange of an agent's Heartbeats stream, by method and status code.",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = _time.GetTimestamp();
        var code = StatusCode.Unknown;
        try
        {
            var response = await continuation(request, context);
            code = context.Status.StatusCode;
            return response;
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        finally
        {
            var tags = Tags(context.Method, code);
            _calls.Add(1, tags);
            _duration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        CountAsync(context, () => continuation(request, responseStream, context));

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (context.Method != HeartbeatsMethod)
        {
            return CountAsync(context, () => continuation(requestStream, responseStream, context));
        }

        return CountAsync(context, () => continuation(requestStream, new TimedExchange<TResponse>(responseStream, this, context.Method), context));
    }

    public void Dispose() => _meter.Dispose();

    private const string HeartbeatsMethod = "/gridtrain.v1.AgentService/Heartbeats";

    /// <summary>Serves a stream, counting it with the status it ends with.</summary>
    private async Task CountAsync(ServerCallContext context, Func<Task> serve)
    {
        var code = StatusCode.Unknown;
        try
        {
            await serve();
            code = context.Status.StatusCode;
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        finally
        {
            _calls.Add(1, Tags(context.Method, code));
        }
    }

    private static TagList Tags(string method, StatusCode code) => new()
    {
        { "rpc_method", method.TrimStart('/') },
        { "grpc_code", code.ToString() },
    };

    /// <summary>
    /// The answers of a request-response stream, timed per exchange: from the handler's <see cref="RequestReceived"/> to
    /// the write of the request's answer.
    /// </summary>
    private sealed class TimedExchange<TResponse>(IServerStreamWriter<TResponse> responses, RpcMetricsInterceptor metrics, string method)
        : IServerStreamWriter<TResponse>, IExchangeTimer
    {
        private long _received;

        public WriteOptions? WriteOptions
        {
            get => responses.WriteOptions;
            set => responses.WriteOptions = value;
        }

        public void RequestReceived() => _received = metrics._time.GetTimestamp();

        public async Task WriteAsync(TResponse message)
        {
            await responses.WriteAsync(message);
            Answered();
        }

        public async Task WriteAsync(TResponse message, CancellationToken cancellationToken)
        {
            await responses.WriteAsync(message, cancellationToken);
            Answered();
        }

        private void Answered() => metrics._duration.Record(metrics._time.GetElapsedTime(_received).TotalSeconds, Tags(method, StatusCode.OK));
    }
}
