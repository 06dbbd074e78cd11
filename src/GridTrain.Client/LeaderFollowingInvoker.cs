using Grpc.Core;
using Grpc.Net.Client;

namespace GridTrain.Client;

/// <summary>
/// Calls to whichever of several controller replicas leads. A call answered UNAVAILABLE (a standby, a refused
/// connection, a leader going away) moves the invoker to the leader the answer names in its
/// <c>gridtrain-leader</c> trailer, else to the next address; a unary call is then sent again, with backoff, until it
/// succeeds, fails otherwise, its deadline passes or <see cref="GridTrainClientOptions.FailoverTimeout"/> is spent
/// (only with several addresses, or when a standby named the leader: a lone controller that is down fails at once).
/// Streams are not resent: their failure moves the invoker, and the caller reopens them. A call whose deadline passed
/// unanswered (DEADLINE_EXCEEDED: a paused or cut-off controller) is not resent either, but moves the invoker on when
/// there are several addresses, so the next call tries another replica instead of waiting on a silent one again.
/// </summary>
public sealed class LeaderFollowingInvoker : CallInvoker, IDisposable
{
    /// <summary>The metadata entry in which a standby names the leader's address.</summary>
    public const string LeaderMetadataKey = "gridtrain-leader";

    private static readonly TimeSpan s_firstBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_maxBackoff = TimeSpan.FromSeconds(1);

    private readonly Func<Uri, GrpcChannel> _connect;
    private readonly Func<ChannelBase, CallInvoker> _invoker;
    private readonly TimeSpan _failoverTimeout;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<Uri> _addresses;
    private readonly Dictionary<Uri, (GrpcChannel Channel, CallInvoker Invoker)> _channels = [];
    private int _current;

    /// <param name="addresses">The controllers' addresses, tried in this order; at least one.</param>
    /// <param name="connect">Opens a channel to an address.</param>
    /// <param name="invoker">The call invoker of a channel (e.g. one that adds a token).</param>
    /// <param name="failoverTimeout">How long one unary call keeps looking for the leader.</param>
    /// <param name="time">The clock for backoff.</param>
    public LeaderFollowingInvoker(IReadOnlyList<Uri> addresses, Func<Uri, GrpcChannel> connect, Func<ChannelBase, CallInvoker> invoker, TimeSpan failoverTimeout, TimeProvider? time = null)
    {
        if (addresses.Count == 0)
        {
            throw new ArgumentException("at least one controller address is needed", nameof(addresses));
        }

        _addresses = [.. addresses.Distinct()];
        _connect = connect;
        _invoker = invoker;
        _failoverTimeout = failoverTimeout;
        _time = time ?? TimeProvider.System;
        PrimaryChannel = Channel(_addresses[0]).Channel;
    }

    /// <summary>The channel to the first address (for health checks and reflection).</summary>
    public GrpcChannel PrimaryChannel { get; }

    /// <summary>The address calls go to now.</summary>
    public Uri Current
    {
        get
        {
            lock (_lock)
            {
                return _addresses[_current];
            }
        }
    }

    public override TResponse BlockingUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request) =>
        AsyncUnaryCall(method, host, options, request).ResponseAsync.GetAwaiter().GetResult();

    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var attempts = new UnaryAttempts<TResponse>();
        var response = SendAsync(attempts, invoker => invoker.AsyncUnaryCall(method, host, options, request), options);
        return new AsyncUnaryCall<TResponse>(response, attempts.HeadersAsync(response), attempts.Status, attempts.Trailers, attempts.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options, TRequest request)
    {
        var (address, invoker) = Pick();
        var call = invoker.AsyncServerStreamingCall(method, host, options, request);
        var reader = new FollowingStreamReader<TResponse>(call.ResponseStream, ex => Follow(address, ex));
        return new AsyncServerStreamingCall<TResponse>(reader, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncClientStreamingCall<TRequest, TResponse> AsyncClientStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options) =>
        Pick().Invoker.AsyncClientStreamingCall(method, host, options);

    public override AsyncDuplexStreamingCall<TRequest, TResponse> AsyncDuplexStreamingCall<TRequest, TResponse>(Method<TRequest, TResponse> method, string? host, CallOptions options)
    {
        var (address, invoker) = Pick();
        var call = invoker.AsyncDuplexStreamingCall(method, host, options);
        var reader = new FollowingStreamReader<TResponse>(call.ResponseStream, ex => Follow(address, ex));
        return new AsyncDuplexStreamingCall<TRequest, TResponse>(call.RequestStream, reader, call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    /// <summary>Moves away from <paramref name="failed"/> after <paramref name="ex"/>: to the leader it names, else to the next address.</summary>
    public void Follow(Uri failed, RpcException ex)
    {
        if (ex.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded))
        {
            return;
        }

        var hint = ex.Trailers.GetValue(LeaderMetadataKey);
        lock (_lock)
        {
            if (_addresses[_current] != failed)
            {
                return;
            }

            if (hint is { Length: > 0 } && Uri.TryCreate(hint, UriKind.Absolute, out var leader) && leader.Scheme is "http" or "https" && leader != failed)
            {
                var index = _addresses.IndexOf(leader);
                if (index < 0)
                {
                    _addresses.Add(leader);
                    index = _addresses.Count - 1;
                }

                _current = index;
                return;
            }

            _current = (_current + 1) % _addresses.Count;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var (channel, _) in _channels.Values)
            {
                channel.Dispose();
            }

            _channels.Clear();
        }
    }

    private async Task<TResponse> SendAsync<TResponse>(UnaryAttempts<TResponse> attempts, Func<CallInvoker, AsyncUnaryCall<TResponse>> send, CallOptions options)
    {
        var started = _time.GetTimestamp();
        var backoff = s_firstBackoff;
        while (true)
        {
            var (address, invoker) = Pick();
            var call = attempts.Start(send(invoker));
            try
            {
                return await call.ResponseAsync;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded)
            {
                Follow(address, ex);
                throw;
            }
            catch (RpcException ex) when (TransportFailure.AsUnavailable(ex) is { } lost)
            {
                // The connection died with the call under way: it may have been applied, so it is not sent again.
                Follow(address, lost);
                throw lost;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && !options.CancellationToken.IsCancellationRequested)
            {
                Follow(address, ex);
                var spent = _time.GetElapsedTime(started);
                var leaderNamed = ex.Trailers.GetValue(LeaderMetadataKey) is { Length: > 0 };
                var wait = leaderNamed && attempts.Count == 1 ? TimeSpan.Zero : backoff;
                if (!(leaderNamed || Replicated) || spent + wait >= _failoverTimeout || (options.Deadline is { } deadline && _time.GetUtcNow().UtcDateTime + wait >= deadline))
                {
                    throw;
                }

                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, options.CancellationToken);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, s_maxBackoff.Ticks));
                }
            }
        }
    }

    /// <summary>Whether there is another replica to move to; a lone controller that is down fails at once, as before.</summary>
    private bool Replicated
    {
        get
        {
            lock (_lock)
            {
                return _addresses.Count > 1;
            }
        }
    }

    private (Uri Address, CallInvoker Invoker) Pick()
    {
        var address = Current;
        return (address, Channel(address).Invoker);
    }

    private (GrpcChannel Channel, CallInvoker Invoker) Channel(Uri address)
    {
        lock (_lock)
        {
            if (!_channels.TryGetValue(address, out var entry))
            {
                var channel = _connect(address);
                entry = (channel, _invoker(channel));
                _channels[address] = entry;
            }

            return entry;
        }
    }
}
