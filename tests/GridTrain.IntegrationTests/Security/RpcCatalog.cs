using Grpc.Core;
using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary>Every RPC of the controller's API, callable with any credential against any target, for the authorization tests.</summary>
public static class RpcCatalog
{
    /// <summary>Which credential an RPC takes, and who may call it.</summary>
    public enum Access
    {
        /// <summary>Any user; acts on the caller's own resources.</summary>
        User,

        /// <summary>Admins only.</summary>
        Admin,

        /// <summary>The agent join token.</summary>
        Register,

        /// <summary>A registered agent's credential.</summary>
        Agent,
    }

    /// <summary>What a call names: a session, a job in it, an agent.</summary>
    public sealed record Target(string SessionId, string JobId, string AgentId);

    /// <param name="Name">Service/method.</param>
    /// <param name="Access">Credential taken.</param>
    /// <param name="TakesOwnedId">True when the call names a session or job (another user's must be NOT_FOUND).</param>
    /// <param name="Invoke">Makes the call (for a stream: until its first message).</param>
    public sealed record Rpc(string Name, Access Access, bool TakesOwnedId, Func<Clients, Target, Task> Invoke);

    /// <summary>Typed clients that all send one credential.</summary>
    public sealed class Clients(ChannelBase channel, string token)
    {
        private readonly CallInvoker _invoker = ControllerChannel.WithToken(channel, () => token);

        public SessionService.SessionServiceClient Sessions => new(_invoker);

        public JobService.JobServiceClient Jobs => new(_invoker);

        public FleetService.FleetServiceClient Fleet => new(_invoker);

        public TokenService.TokenServiceClient Tokens => new(_invoker);

        public AgentService.AgentServiceClient Agents => new(_invoker);
    }

    private static readonly JobSpec s_spec = new() { Model = new ModelSpec { Name = "mlp" }, Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 64 } } };

    public static IReadOnlyDictionary<string, Rpc> All { get; } = new Rpc[]
    {
        new("SessionService/CreateSession", Access.User, false, (c, _) => c.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } }).ResponseAsync),
        new("SessionService/GetSession", Access.User, true, (c, t) => c.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = t.SessionId }).ResponseAsync),
        new("SessionService/ListSessions", Access.User, false, (c, _) => c.Sessions.ListSessionsAsync(new ListSessionsRequest()).ResponseAsync),
        new("SessionService/TerminateSession", Access.User, true, (c, t) => c.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = t.SessionId }).ResponseAsync),
        new("SessionService/ResumeSession", Access.User, true, (c, t) => c.Sessions.ResumeSessionAsync(new ResumeSessionRequest { SessionId = t.SessionId }).ResponseAsync),
        new("SessionService/ExplainIdleness", Access.User, true, (c, t) => c.Sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest { SessionId = t.SessionId }).ResponseAsync),
        new("SessionService/KeepAlive", Access.User, true, (c, t) => c.Sessions.KeepAliveAsync(new KeepAliveRequest { SessionId = t.SessionId }).ResponseAsync),
        new("SessionService/GetQuota", Access.User, false, (c, _) => c.Sessions.GetQuotaAsync(new GetQuotaRequest()).ResponseAsync),
        new("SessionService/WatchSession", Access.User, true, (c, t) => FirstAsync(c.Sessions.WatchSession(new WatchSessionRequest { SessionId = t.SessionId }, deadline: Deadline()))),
        new("SessionService/WatchSessions", Access.User, false, (c, _) => FirstAsync(c.Sessions.WatchSessions(new WatchSessionsRequest(), deadline: Deadline()))),
        new("SessionService/Exec", Access.User, true, (c, t) => DuplexAsync(c.Sessions.Exec(deadline: Deadline()), new ExecRequest { Start = new ExecStart { SessionId = t.SessionId, Argv = { "true" } } })),
        new("SessionService/UploadFiles", Access.User, true, (c, t) => UploadAsync(c.Sessions.UploadFiles(deadline: Deadline()), new UploadFilesRequest { Start = new UploadStart { SessionId = t.SessionId, Name = "f" } })),
        new("SessionService/DownloadFiles", Access.User, true, (c, t) => FirstAsync(c.Sessions.DownloadFiles(new DownloadFilesRequest { SessionId = t.SessionId }, deadline: Deadline()))),
        new("SessionService/ListFiles", Access.User, true, (c, t) => c.Sessions.ListFilesAsync(new ListFilesRequest { SessionId = t.SessionId }, deadline: Deadline()).ResponseAsync),
        new("JobService/SubmitJob", Access.User, true, (c, t) => c.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = t.SessionId, Spec = s_spec }).ResponseAsync),
        new("JobService/GetJob", Access.User, true, (c, t) => c.Jobs.GetJobAsync(new GetJobRequest { JobId = t.JobId }).ResponseAsync),
        new("JobService/ListJobs", Access.User, true, (c, t) => c.Jobs.ListJobsAsync(new ListJobsRequest { SessionId = t.SessionId }).ResponseAsync),
        new("JobService/CancelJob", Access.User, true, (c, t) => c.Jobs.CancelJobAsync(new CancelJobRequest { JobId = t.JobId }).ResponseAsync),
        new("JobService/StreamJobEvents", Access.User, true, (c, t) => FirstAsync(c.Jobs.StreamJobEvents(new StreamJobEventsRequest { JobId = t.JobId }, deadline: Deadline()))),
        new("FleetService/ListAgents", Access.User, false, (c, _) => c.Fleet.ListAgentsAsync(new ListAgentsRequest()).ResponseAsync),
        new("FleetService/CordonAgent", Access.Admin, false, (c, t) => c.Fleet.CordonAgentAsync(new CordonAgentRequest { AgentId = t.AgentId, Uncordon = true }).ResponseAsync),
        new("FleetService/DrainAgent", Access.Admin, false, (c, t) => c.Fleet.DrainAgentAsync(new DrainAgentRequest { AgentId = t.AgentId }).ResponseAsync),
        new("FleetService/UndrainGpu", Access.Admin, false, (c, t) => c.Fleet.UndrainGpuAsync(new UndrainGpuRequest { AgentId = t.AgentId, GpuIndex = 0 }).ResponseAsync),
        new("TokenService/CreateToken", Access.Admin, false, (c, _) => c.Tokens.CreateTokenAsync(new CreateTokenRequest { User = "mallory" }).ResponseAsync),
        new("TokenService/ListTokens", Access.Admin, false, (c, _) => c.Tokens.ListTokensAsync(new ListTokensRequest()).ResponseAsync),
        new("TokenService/RevokeToken", Access.Admin, false, (c, _) => c.Tokens.RevokeTokenAsync(new RevokeTokenRequest { Id = "0000000000000000" }).ResponseAsync),
        new("TokenService/WhoAmI", Access.User, false, (c, _) => c.Tokens.WhoAmIAsync(new WhoAmIRequest()).ResponseAsync),
        new("AgentService/Register", Access.Register, false, (c, _) => c.Agents.RegisterAsync(new RegisterAgentRequest { Name = "intruder", Inventory = new Inventory { CpuCores = 2, MemoryBytes = 1 << 30, CpuSlots = 1 } }).ResponseAsync),
        new("AgentService/Heartbeat", Access.Agent, false, (c, t) => c.Agents.HeartbeatAsync(new HeartbeatRequest { AgentId = t.AgentId }).ResponseAsync),
        new("AgentService/Heartbeats", Access.Agent, false, (c, t) => DuplexAsync(c.Agents.Heartbeats(deadline: Deadline()), new HeartbeatRequest { AgentId = t.AgentId })),
        new("AgentService/ReceiveCommands", Access.Agent, false, (c, t) => FirstAsync(c.Agents.ReceiveCommands(new ReceiveCommandsRequest { AgentId = t.AgentId }, deadline: Deadline()))),
        new("AgentService/ReportJobEvents", Access.Agent, false, (c, t) => c.Agents.ReportJobEventsAsync(new ReportJobEventsRequest { AgentId = t.AgentId, JobId = t.JobId, LeaseEpoch = 1 }).ResponseAsync),
        new("AgentService/ReportJobResult", Access.Agent, false, (c, t) => c.Agents.ReportJobResultAsync(new ReportJobResultRequest { AgentId = t.AgentId, JobId = t.JobId, LeaseEpoch = 1, Result = new JobResult { State = JobState.Succeeded } }).ResponseAsync),
        new("AgentService/Tunnel", Access.Agent, false, (c, t) => DuplexAsync(c.Agents.Tunnel(deadline: Deadline()), new TunnelFrame { Hello = new TunnelHello { AgentId = t.AgentId, TunnelId = "tun-0000000000000000" } })),
    }.ToDictionary(r => r.Name, StringComparer.Ordinal);

    public static TheoryData<string> Names(Func<Rpc, bool>? where = null)
    {
        var data = new TheoryData<string>();
        foreach (var rpc in All.Values.Where(where ?? (_ => true)))
        {
            data.Add(rpc.Name);
        }

        return data;
    }

    private static DateTime Deadline() => DateTime.UtcNow.AddSeconds(20);

    private static async Task DuplexAsync<TRequest, TResponse>(AsyncDuplexStreamingCall<TRequest, TResponse> call, TRequest first)
    {
        using (call)
        {
            await SendAsync(call.RequestStream, first);
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }
    }

    private static async Task UploadAsync<TRequest, TResponse>(AsyncClientStreamingCall<TRequest, TResponse> call, TRequest first)
    {
        using (call)
        {
            await SendAsync(call.RequestStream, first);
            await call.ResponseAsync;
        }
    }

    /// <summary>
    /// Writes the one request. A server that refuses the call at once (a bad credential) may have answered before the
    /// write: the write then fails on a stream already closed, and the status the test expects is the one the response carries.
    /// </summary>
    private static async Task SendAsync<TRequest>(IClientStreamWriter<TRequest> requests, TRequest first)
    {
        try
        {
            await requests.WriteAsync(first);
            await requests.CompleteAsync();
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException)
        {
            // The response below carries the server's status.
        }
    }

    private static async Task FirstAsync<T>(AsyncServerStreamingCall<T> call)
    {
        using (call)
        {
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }
    }
}
