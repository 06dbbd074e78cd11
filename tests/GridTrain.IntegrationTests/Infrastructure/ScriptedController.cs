using System.Net;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GridTrain.Protos.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// The agent-facing half of a controller, driven by the test: it pushes the commands the test writes and answers each
/// heartbeat as the test decides, so orderings a real controller produces only by chance (an answer overtaken by a
/// command) happen every time. Real gRPC over loopback; the agent cannot tell it from a controller.
/// </summary>
public sealed class ScriptedController : IAsyncDisposable
{
    private WebApplication _app = null!;
    private int _streamedHeartbeats;
    private int _calledHeartbeats;

    /// <summary>Commands for the agent, sent on its command stream in the order written.</summary>
    public Channel<AgentCommand> Commands { get; } = Channel.CreateUnbounded<AgentCommand>();

    /// <summary>Every heartbeat received, in order.</summary>
    public Channel<HeartbeatRequest> Heartbeats { get; } = Channel.CreateUnbounded<HeartbeatRequest>();

    /// <summary>Every job result reported, in order.</summary>
    public Channel<ReportJobResultRequest> Results { get; } = Channel.CreateUnbounded<ReportJobResultRequest>();

    /// <summary>How a heartbeat is answered; by default with nothing to stop or release.</summary>
    public Func<HeartbeatRequest, Task<HeartbeatResponse>> Answer { get; set; } = _ => Task.FromResult(new HeartbeatResponse());

    /// <summary>How an event report is answered; by default accepted.</summary>
    public Func<ReportJobEventsRequest, Task<ReportJobEventsResponse>> AnswerEvents { get; set; } = _ => Task.FromResult(new ReportJobEventsResponse());

    /// <summary>Whether the Heartbeats stream is answered UNIMPLEMENTED, as by a controller older than it.</summary>
    public bool WithoutHeartbeatStream { get; init; }

    /// <summary>How many heartbeats came on the Heartbeats stream.</summary>
    public int StreamedHeartbeats => Volatile.Read(ref _streamedHeartbeats);

    /// <summary>How many heartbeats came as Heartbeat calls.</summary>
    public int CalledHeartbeats => Volatile.Read(ref _calledHeartbeats);

    public Uri Address { get; private set; } = null!;

    /// <param name="withoutHeartbeatStream">Answer the Heartbeats stream UNIMPLEMENTED, as a controller older than it.</param>
    public static async Task<ScriptedController> StartAsync(bool withoutHeartbeatStream = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, e => e.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        var controller = new ScriptedController { WithoutHeartbeatStream = withoutHeartbeatStream };
        builder.Services.AddSingleton(controller);
        var app = controller._app = builder.Build();
        app.MapGrpcService<Service>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        controller.Address = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return controller;
    }

    public async ValueTask DisposeAsync()
    {
        Commands.Writer.TryComplete();
        await _app.DisposeAsync();
    }

    /// <summary>The next heartbeat that satisfies <paramref name="match"/>.</summary>
    public async Task<HeartbeatRequest> HeartbeatAsync(Func<HeartbeatRequest, bool> match)
    {
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        await foreach (var heartbeat in Heartbeats.Reader.ReadAllAsync(timeout.Token))
        {
            if (match(heartbeat))
            {
                return heartbeat;
            }
        }

        throw new InvalidOperationException("the heartbeat channel closed");
    }

    /// <summary>The gRPC service: a fresh instance per call, delegating to the one controller.</summary>
    private sealed class Service(ScriptedController controller) : AgentService.AgentServiceBase
    {
        public override Task<RegisterAgentResponse> Register(RegisterAgentRequest request, ServerCallContext context) =>
            Task.FromResult(new RegisterAgentResponse
            {
                AgentId = "agt-scripted",
                AgentCredential = "scripted-credential",
                HeartbeatInterval = Duration.FromTimeSpan(TimeSpan.FromMilliseconds(100)),
                AgentTimeout = Duration.FromTimeSpan(TimeSpan.FromSeconds(30)),
            });

        public override async Task<HeartbeatResponse> Heartbeat(HeartbeatRequest request, ServerCallContext context)
        {
            Interlocked.Increment(ref controller._calledHeartbeats);
            controller.Heartbeats.Writer.TryWrite(request);
            return await controller.Answer(request);
        }

        public override async Task Heartbeats(IAsyncStreamReader<HeartbeatRequest> requestStream, IServerStreamWriter<HeartbeatResponse> responseStream, ServerCallContext context)
        {
            if (controller.WithoutHeartbeatStream)
            {
                await base.Heartbeats(requestStream, responseStream, context);
                return;
            }

            while (await requestStream.MoveNext(context.CancellationToken))
            {
                Interlocked.Increment(ref controller._streamedHeartbeats);
                controller.Heartbeats.Writer.TryWrite(requestStream.Current);
                await responseStream.WriteAsync(await controller.Answer(requestStream.Current), context.CancellationToken);
            }
        }

        public override async Task ReceiveCommands(ReceiveCommandsRequest request, IServerStreamWriter<AgentCommand> responseStream, ServerCallContext context)
        {
            await foreach (var command in controller.Commands.Reader.ReadAllAsync(context.CancellationToken))
            {
                await responseStream.WriteAsync(command, context.CancellationToken);
            }
        }

        public override Task<ReportJobEventsResponse> ReportJobEvents(ReportJobEventsRequest request, ServerCallContext context) =>
            controller.AnswerEvents(request);

        public override Task<ReportJobResultResponse> ReportJobResult(ReportJobResultRequest request, ServerCallContext context)
        {
            controller.Results.Writer.TryWrite(request);
            return Task.FromResult(new ReportJobResultResponse());
        }
    }
}
