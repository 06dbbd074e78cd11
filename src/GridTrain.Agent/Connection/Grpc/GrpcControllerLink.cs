using System.Runtime.CompilerServices;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using GridTrain.Agent.Hosting;
using GridTrain.Client;
using GridTrain.Contracts.Mapping;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Wire = GridTrain.Protos.V1;

namespace GridTrain.Agent.Connection.Grpc;

/// <summary>
/// <see cref="IControllerLink"/> over gRPC: the controller's AgentService. Register carries the join token; every
/// later call the credential Register returned. Reports retry outages (and a credential replaced meanwhile) with
/// backoff until answered or cancelled.
/// </summary>
internal sealed partial class GrpcControllerLink : IControllerLink
{
    private readonly AgentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<GrpcControllerLink> _logger;
    private readonly LeaderFollowingInvoker _invoker;
    private readonly Wire.AgentService.AgentServiceClient _client;
    private readonly ResiliencePipeline _report;
    private readonly HeartbeatStream _heartbeats;
    private volatile string? _agentId;
    private volatile string? _credential;
    private TimeSpan? _agentTimeout;

    public GrpcControllerLink(IOptions<AgentOptions> options, TimeProvider time, ILogger<GrpcControllerLink> logger)
    {
        _options = options.Value;
        _time = time;
        _logger = logger;
        // With several controller replicas, calls follow the leader (a standby answers UNAVAILABLE naming it).
        _invoker = ControllerChannel.CreateInvoker(_options.Controller!, new GridTrainClientOptions
        {
            CaFile = _options.CaFile,
            ClientCertificateFile = _options.ClientCertificateFile,
            ClientKeyFile = _options.ClientKeyFile,
            ChannelOptions = new GrpcChannelOptions { MaxReceiveMessageSize = 16 * 1024 * 1024, MaxReconnectBackoff = ControllerChannel.ReconnectBackoffCap },
            OtherControllers = _options.OtherControllers,
            FailoverTimeout = _options.CallTimeout,
        }, () => _credential, time);
        _client = new Wire.AgentService.AgentServiceClient(_invoker);
        _heartbeats = new HeartbeatStream(_client, _invoker, time, _options.CallTimeout);
        _report = AgentResilience.Create<RpcException>(() => _options.ReconnectCap(_agentTimeout), time, GrpcFailures.ReportShouldRetry);
    }

    public async Task<ControllerRegistration> RegisterAsync(AgentRegistrationRequest request, CancellationToken cancellationToken)
    {
        var message = new Wire.RegisterAgentRequest { Name = request.Name, Inventory = request.Inventory.ToProto(), Version = request.Version, Instance = request.Instance };
        message.Sessions.AddRange(request.Holdings.Sessions.Select(ToProto));
        message.RunningJobs.AddRange(request.Holdings.Jobs.Select(ToProto));
        message.GpuHealth.AddRange(request.Holdings.GpuHealth.Select(g => g.ToProto()));
        var join = new Metadata { { "authorization", "Bearer " + _options.JoinToken } };
        var response = await CallAsync(() => _client.RegisterAsync(message, join, deadline: Deadline(), cancellationToken: cancellationToken));
        _heartbeats.Reset();
        _credential = response.AgentCredential;
        _agentId = response.AgentId;
        _agentTimeout = response.AgentTimeout?.ToTimeSpan();
        return new ControllerRegistration(
            response.AgentId,
            response.HeartbeatInterval.ToTimeSpan(),
            _agentTimeout,
            new AgentInstructions([.. response.StopJobIds], [.. response.ReleaseSessionIds]));
    }

    public async Task<AgentInstructions> HeartbeatAsync(AgentHoldings holdings, CancellationToken cancellationToken)
    {
        var request = new Wire.HeartbeatRequest { AgentId = _agentId ?? "" };
        request.Sessions.AddRange(holdings.Sessions.Select(ToProto));
        request.RunningJobs.AddRange(holdings.Jobs.Select(ToProto));
        request.Resources = holdings.Resources?.ToProto();
        request.GpuHealth.AddRange(holdings.GpuHealth.Select(g => g.ToProto()));
        var response = await CallAsync(() => _heartbeats.SendAsync(
            request,
            () => _client.HeartbeatAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ResponseAsync,
            cancellationToken));
        return new AgentInstructions([.. response.StopJobIds], [.. response.ReleaseSessionIds]);
    }

    public async IAsyncEnumerable<AgentDirective> ReceiveCommandsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var call = _client.ReceiveCommands(new Wire.ReceiveCommandsRequest { AgentId = _agentId ?? "" }, cancellationToken: cancellationToken);
        var commands = call.ResponseStream.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using (commands)
        {
            while (await CallAsync(() => commands.MoveNextAsync().AsTask()))
            {
                if (ToDomain(commands.Current) is { } command)
                {
                    yield return command;
                }
            }
        }
    }

    public Task<ReportOutcome> ReportEventsAsync(string jobId, long leaseEpoch, IReadOnlyList<ReportedEvent> events, CancellationToken cancellationToken)
    {
        var request = new Wire.ReportJobEventsRequest { JobId = jobId, LeaseEpoch = leaseEpoch };
        foreach (var reported in events)
        {
            var message = reported.Data.ToProtoEvent();
            message.Sequence = reported.AgentSequence;
            request.Events.Add(message);
        }

        return ReportAsync(jobId, ct =>
        {
            request.AgentId = _agentId ?? "";
            return _client.ReportJobEventsAsync(request, deadline: Deadline(), cancellationToken: ct).ResponseAsync;
        }, cancellationToken);
    }

    public Task<ReportOutcome> ReportResultAsync(string jobId, long leaseEpoch, JobResult result, CancellationToken cancellationToken)
    {
        var request = new Wire.ReportJobResultRequest { JobId = jobId, LeaseEpoch = leaseEpoch, Result = result.ToProto() };
        return ReportAsync(jobId, ct =>
        {
            request.AgentId = _agentId ?? "";
            return _client.ReportJobResultAsync(request, deadline: Deadline(), cancellationToken: ct).ResponseAsync;
        }, cancellationToken);
    }

    public async Task<Tunnels.ITunnel> OpenTunnelAsync(string tunnelId, CancellationToken cancellationToken)
    {
        var call = _client.Tunnel(cancellationToken: cancellationToken);
        try
        {
            await call.RequestStream.WriteAsync(new Wire.TunnelFrame { Hello = new Wire.TunnelHello { AgentId = _agentId ?? "", TunnelId = tunnelId } }, cancellationToken);
        }
        catch
        {
            call.Dispose();
            throw;
        }

        return new GrpcTunnel(call);
    }

    public int EncodedSize(TrainingEvent data) => data.ToProtoEvent().CalculateSize();

    public ValueTask DisposeAsync()
    {
        _heartbeats.Dispose();
        _invoker.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<ReportOutcome> ReportAsync<TResponse>(string jobId, Func<CancellationToken, Task<TResponse>> send, CancellationToken cancellationToken)
    {
        var unanswered = false;
        try
        {
            await _report.ExecuteAsync(
                async ct =>
                {
                    try
                    {
                        await send(ct);
                    }
                    catch (RpcException ex) when (GrpcFailures.IsTransient(ex))
                    {
                        unanswered = true;
                        throw;
                    }
                },
                cancellationToken);
            return ReportOutcome.Committed;
        }
        catch (RpcException ex) when (GrpcFailures.Refusal(ex) is { } refusal)
        {
            LogReportRefused(_logger, jobId, ex.Status.Detail);
            return refusal == ReportOutcome.Stale && unanswered ? ReportOutcome.StaleAfterRetry : refusal;
        }
    }

    /// <summary>Runs a call, turning failures that registering again cures into <see cref="ControllerUnreachableException"/>.</summary>
    private static async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RpcException ex) when (GrpcFailures.NeedsReconnect(ex))
        {
            throw new ControllerUnreachableException(ex.StatusCode.ToString(), ex.Status.Detail, ex);
        }
    }

    private static Task<T> CallAsync<T>(Func<AsyncUnaryCall<T>> call) => CallAsync(() => call().ResponseAsync);

    private AgentDirective? ToDomain(Wire.AgentCommand command)
    {
        switch (command.CommandCase)
        {
            case Wire.AgentCommand.CommandOneofCase.AssignSession:
                var assign = command.AssignSession;
                return new AssignSession(assign.SessionId, assign.LeaseEpoch, [.. assign.GpuIndexes]);
            case Wire.AgentCommand.CommandOneofCase.ReleaseSession:
                return new ReleaseSession(command.ReleaseSession.SessionId, command.ReleaseSession.Reason);
            case Wire.AgentCommand.CommandOneofCase.StartJob:
                var start = command.StartJob;
                try
                {
                    var resumeFrom = string.IsNullOrEmpty(start.ResumeFrom) ? null : start.ResumeFrom;
                    return new StartJob(start.JobId, start.SessionId, start.LeaseEpoch, start.Attempt, start.Spec.ToDomain(), [.. start.GpuIndexes], resumeFrom)
                    {
                        ReadRoots = [.. start.ReadRoots],
                    };
                }
                catch (Domain.GridException ex)
                {
                    return new UnreadableJobStart(start.JobId, start.LeaseEpoch, ex.Message);
                }

            case Wire.AgentCommand.CommandOneofCase.CancelJob:
                return new CancelJob(command.CancelJob.JobId, command.CancelJob.Reason);
            case Wire.AgentCommand.CommandOneofCase.ReadmitGpu:
                return new ReadmitGpu(command.ReadmitGpu.GpuIndex, command.ReadmitGpu.Reason);
            case Wire.AgentCommand.CommandOneofCase.OpenTunnel:
                return command.OpenTunnel.ToDomain();
            case Wire.AgentCommand.CommandOneofCase.SyncComplete:
                return new SyncComplete();
            default:
                LogUnknownCommand(_logger, command.CommandCase.ToString());
                return null;
        }
    }

    private static Wire.SessionLease ToProto(HeldSessionReport held)
    {
        var lease = new Wire.SessionLease { SessionId = held.SessionId, LeaseEpoch = held.LeaseEpoch };
        if (held.GpuUtilization is { } utilization)
        {
            lease.GpuUtilization = utilization;
        }

        return lease;
    }

    private static Wire.RunningJob ToProto(RunningJobReport job) => new() { JobId = job.JobId, LeaseEpoch = job.LeaseEpoch };

    private DateTime Deadline() => _time.GetUtcNow().UtcDateTime + _options.CallTimeout;

    [LoggerMessage(6, LogLevel.Warning, "Controller refused a report for job {JobId}: {Detail}", EventName = "ReportRefused")]
    private static partial void LogReportRefused(ILogger logger, string jobId, string detail);

    [LoggerMessage(8, LogLevel.Warning, "Ignoring unknown command {Command}; is the agent older than the controller?", EventName = "UnknownCommand")]
    private static partial void LogUnknownCommand(ILogger logger, string command);
}
