using System.Collections.Concurrent;
using System.Net;
using Google.Protobuf;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;

namespace GridTrain.IntegrationTests.AgentProtocol;

/// <summary>
/// Agents heartbeat on one long-lived Heartbeats stream: each request answered in order as a Heartbeat call would be,
/// with the same checks, the credential checked again for every request. An agent whose controller is older than the
/// stream heartbeats with calls instead.
/// </summary>
public sealed class HeartbeatStreamTests : IAsyncLifetime
{
    private readonly ControllerFixture _controller = new();

    private GridTrainClient Admin => _controller.Client;

    public Task InitializeAsync() => _controller.InitializeAsync();

    public Task DisposeAsync() => _controller.DisposeAsync();

    [Fact]
    public async Task EachHeartbeatOnTheStream_IsAnswered_AndConfirmsThePlacementItLists()
    {
        var agent = await TestAgent.RegisterAsync(Admin.Channel, "streaming-agent");
        using var commands = agent.Client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = agent.AgentId });
        var session = await Admin.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        var assigned = await NextAssignmentAsync(commands.ResponseStream, session.Id);
        using var heartbeats = agent.Client.Heartbeats();

        var before = await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId });
        var confirming = await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId, Sessions = { new SessionLease { SessionId = session.Id, LeaseEpoch = assigned.LeaseEpoch } } });
        var stale = await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId, Sessions = { new SessionLease { SessionId = "ses-0000000000000000", LeaseEpoch = 1 } } });

        Assert.Empty(before.ReleaseSessionIds);
        Assert.Empty(confirming.ReleaseSessionIds);
        Assert.Equal(SessionState.Ready, await SessionStateAsync(session.Id, SessionState.Ready));
        Assert.Equal(["ses-0000000000000000"], stale.ReleaseSessionIds);
    }

    [Fact]
    public async Task HeartbeatNamingAnotherAgent_EndsTheStreamPermissionDenied()
    {
        var agent = await TestAgent.RegisterAsync(Admin.Channel, "honest-agent");
        var other = await TestAgent.RegisterAsync(Admin.Channel, "other-agent");
        using var heartbeats = agent.Client.Heartbeats();
        await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId });

        var error = await Assert.ThrowsAsync<RpcException>(() => ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = other.AgentId }));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal("agent_id: this credential acts only as the agent it was issued to", error.Status.Detail);
    }

    [Fact]
    public async Task CredentialReplacedWhileTheStreamIsOpen_NextHeartbeatUnauthenticated()
    {
        var agent = await TestAgent.RegisterAsync(Admin.Channel, "re-registering-agent");
        using var heartbeats = agent.Client.Heartbeats();
        await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId });

        // Registering again (a restarted agent) issues a new credential and retires the one the stream opened with.
        var again = await TestAgent.RegisterAsync(Admin.Channel, "re-registering-agent");
        var error = await Assert.ThrowsAsync<RpcException>(() => ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId }));

        Assert.Equal(agent.AgentId, again.AgentId);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("invalid or revoked token", error.Status.Detail);
    }

    [Fact]
    public async Task Agent_HeartbeatsOnTheStream()
    {
        await using var grid = await ScriptedAgent.StartAsync("stream-agent");

        await grid.Controller.HeartbeatAsync(_ => grid.Controller.StreamedHeartbeats >= 3);

        Assert.Equal(0, grid.Controller.CalledHeartbeats);
    }

    [Fact]
    public async Task AgentOfANewerVersion_ControllerWithoutTheStream_HeartbeatsWithCalls()
    {
        await using var grid = await ScriptedAgent.StartAsync("upgraded-agent", withoutHeartbeatStream: true);

        await grid.Controller.HeartbeatAsync(_ => grid.Controller.CalledHeartbeats >= 3);

        Assert.Equal(0, grid.Controller.StreamedHeartbeats);
    }

    [Fact]
    public async Task AgentResettingItsStream_EndsItWithoutAnErrorLogged()
    {
        var logs = new WatchedLogs();
        await using var server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            configureLogging: logging => logging.AddProvider(logs).AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Information));
        await server.StartAsync(CancellationToken.None);
        using var admin = new GridTrainClient(server.Address);
        var agent = await TestAgent.RegisterAsync(admin.Channel, "restarting-agent");
        var heartbeats = agent.Client.Heartbeats();
        await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId });
        var finished = logs.WaitFor(line => line.Contains("Request finished", StringComparison.Ordinal) && line.Contains("/Heartbeats", StringComparison.Ordinal));

        heartbeats.Dispose(); // resets the HTTP/2 stream, as an agent that stops or reconnects does

        await finished.WaitAsync(GridEvents.Timeout);
        Assert.DoesNotContain(logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GzipCompressedHeartbeats_AreAnswered()
    {
        var agent = await TestAgent.RegisterAsync(Admin.Channel, "compressing-agent");
        using var heartbeats = agent.Client.Heartbeats(new Metadata { { "grpc-internal-encoding-request", "gzip" } });

        var first = await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId });
        var stale = await ExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId, Sessions = { new SessionLease { SessionId = "ses-0000000000000000", LeaseEpoch = 1 } } });

        Assert.Empty(first.ReleaseSessionIds);
        Assert.Equal(["ses-0000000000000000"], stale.ReleaseSessionIds);
    }

    [Fact]
    public async Task HeartbeatOverTheMessageLimit_EndsTheStreamResourceExhausted()
    {
        var agent = await TestAgent.RegisterAsync(Admin.Channel, "verbose-agent");
        using var heartbeats = RawHeartbeats(agent);
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);

        // The frame's length prefix is enough for the controller to refuse it: it need not wait for the rest.
        var limit = new ControllerSecurityOptions().MaxReceiveMessageBytes;
        var write = heartbeats.RequestStream.WriteAsync(new byte[limit + 1], timeout.Token);
        var error = await Assert.ThrowsAsync<RpcException>(() => heartbeats.ResponseStream.MoveNext(timeout.Token));
        await Task.WhenAny(write); // ends either way once the call has: what it ends with is not the point here

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal($"request: larger than the {limit} bytes accepted", error.Status.Detail);
    }

    [Fact]
    public async Task HeartbeatThatIsNotAMessage_EndsTheStreamInvalidArgument_AfterAnsweringTheOneBefore()
    {
        var agent = await TestAgent.RegisterAsync(Admin.Channel, "garbling-agent");
        using var heartbeats = RawHeartbeats(agent);

        var answer = HeartbeatResponse.Parser.ParseFrom(await RawExchangeAsync(heartbeats, new HeartbeatRequest { AgentId = agent.AgentId }.ToByteArray()));
        var error = await Assert.ThrowsAsync<RpcException>(() => RawExchangeAsync(heartbeats, [0xff, 0xff, 0xff]));

        Assert.Empty(answer.ReleaseSessionIds);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("request: not a valid gridtrain.v1.HeartbeatRequest message (malformed protobuf)", error.Status.Detail);
    }

    /// <summary>The Heartbeats stream with each message's bytes as given (the client still frames each one).</summary>
    private AsyncDuplexStreamingCall<byte[], byte[]> RawHeartbeats(TestAgent agent)
    {
        var bytes = Marshallers.Create<byte[]>(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, "gridtrain.v1.AgentService", "Heartbeats", bytes, bytes);
        return ControllerChannel.WithToken(Admin.Channel, () => agent.Credential).AsyncDuplexStreamingCall(method, null, new CallOptions(deadline: DateTime.UtcNow + GridEvents.Timeout));
    }

    private static async Task<byte[]> RawExchangeAsync(AsyncDuplexStreamingCall<byte[], byte[]> stream, byte[] message)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        await stream.RequestStream.WriteAsync(message, timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token), "the stream ended without an answer");
        return stream.ResponseStream.Current;
    }

    private static async Task<HeartbeatResponse> ExchangeAsync(AsyncDuplexStreamingCall<HeartbeatRequest, HeartbeatResponse> stream, HeartbeatRequest request)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        await stream.RequestStream.WriteAsync(request, timeout.Token);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token), "the stream ended without an answer");
        return stream.ResponseStream.Current;
    }

    private static async Task<AssignSession> NextAssignmentAsync(IAsyncStreamReader<AgentCommand> commands, string sessionId)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        while (await commands.MoveNext(timeout.Token))
        {
            if (commands.Current.AssignSession is { } assign && assign.SessionId == sessionId)
            {
                return assign;
            }
        }

        throw new InvalidOperationException("the command stream ended");
    }

    private async Task<SessionState> SessionStateAsync(string sessionId, SessionState awaited)
    {
        using var watch = Admin.Sessions.WatchSession(new WatchSessionRequest { SessionId = sessionId }, deadline: DateTime.UtcNow + GridEvents.Timeout);
        while (await watch.ResponseStream.MoveNext(CancellationToken.None))
        {
            if (watch.ResponseStream.Current.State == awaited)
            {
                return awaited;
            }
        }

        return (await Admin.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = sessionId })).State;
    }

    /// <summary>The controller's log lines ("Level category: message"), and a wait for one.</summary>
    private sealed class WatchedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _lines = new();
        private readonly List<(Func<string, bool> Matches, TaskCompletionSource Seen)> _waits = [];

        public IReadOnlyCollection<string> Lines => _lines;

        public Task WaitFor(Func<string, bool> matches)
        {
            var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_waits)
            {
                _waits.Add((matches, seen));
            }

            return seen.Task;
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private void Add(string line)
        {
            _lines.Enqueue(line);
            lock (_waits)
            {
                foreach (var (matches, seen) in _waits.Where(w => w.Matches(line)))
                {
                    seen.TrySetResult();
                }
            }
        }

        private sealed class Logger(WatchedLogs logs, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                logs.Add($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}
