using Grpc.Core;
using Grpc.Health.V1;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests;

/// <summary>Every RPC refuses malformed input with INVALID_ARGUMENT or NOT_FOUND naming what is wrong, and the controller keeps serving.</summary>
public sealed class BadInputTests(ControllerFixture controller) : IClassFixture<ControllerFixture>
{
    public static TheoryData<string, StatusCode, string> Cases() => new()
    {
        { "CreateSession: no resources", StatusCode.InvalidArgument, "resources: required" },
        { "CreateSession: runtime unset", StatusCode.InvalidArgument, "resources.runtime: required" },
        { "CreateSession: unknown runtime", StatusCode.InvalidArgument, "resources.runtime: unknown runtime 7" },
        { "CreateSession: negative gpus", StatusCode.InvalidArgument, "resources.gpu_count: a gpu session needs between 1 and 64 GPUs, got -2" },
        { "CreateSession: cpu with gpus", StatusCode.InvalidArgument, "resources.gpu_count: must be 0 for a cpu session" },
        { "CreateSession: negative priority", StatusCode.InvalidArgument, "priority: must be between 0 and 1000, got -1" },
        { "CreateSession: idle timeout too long", StatusCode.InvalidArgument, "idle_timeout: must be between 1m and 1.00:00:00 (the admin bound)" },
        { "CreateSession: negative lifetime", StatusCode.InvalidArgument, "max_lifetime: must be a positive duration" },
        { "ResumeSession: unknown id", StatusCode.NotFound, "session 'ses-nope' not found" },
        { "ResumeSession: not evicted", StatusCode.FailedPrecondition, "only an evicted or suspended session can be resumed" },
        { "ExplainIdleness: no id", StatusCode.InvalidArgument, "session_id: required" },
        { "KeepAlive: unknown id", StatusCode.NotFound, "session 'ses-nope' not found" },
        { "GetSession: no id", StatusCode.InvalidArgument, "session_id: required" },
        { "GetSession: unknown id", StatusCode.NotFound, "session 'ses-000000000000' not found" },
        { "TerminateSession: unknown id", StatusCode.NotFound, "session 'ses-nope' not found" },
        { "WatchSession: unknown id", StatusCode.NotFound, "session 'ses-nope' not found" },
        { "SubmitJob: neither session nor batch", StatusCode.InvalidArgument, "set exactly one of session_id" },
        { "SubmitJob: both session and batch", StatusCode.InvalidArgument, "set exactly one of session_id" },
        { "SubmitJob: no spec", StatusCode.InvalidArgument, "spec: required" },
        { "SubmitJob: no model", StatusCode.InvalidArgument, "spec.model: required" },
        { "SubmitJob: unknown model", StatusCode.InvalidArgument, "spec.model.name: unknown model 'gpt'" },
        { "SubmitJob: negative batch size", StatusCode.InvalidArgument, "spec.hyperparameters.batch_size: must be between 1 and 65536, got -5" },
        { "SubmitJob: unknown schedule", StatusCode.InvalidArgument, "spec.hyperparameters.schedule.name: unknown schedule 'linear'" },
        { "SubmitJob: torchscript without module", StatusCode.InvalidArgument, "spec.model.torchscript: set exactly one of path" },
        { "SubmitJob: unknown session", StatusCode.NotFound, "session 'ses-nope' not found" },
        { "SubmitJob: batch without runtime", StatusCode.InvalidArgument, "batch.resources: required" },
        { "GetJob: no id", StatusCode.InvalidArgument, "job_id: required" },
        { "GetJob: unknown id", StatusCode.NotFound, "job 'job-nope' not found" },
        { "ListJobs: unknown session", StatusCode.NotFound, "session 'ses-nope' not found" },
        { "CancelJob: unknown id", StatusCode.NotFound, "job 'job-nope' not found" },
        { "StreamJobEvents: unknown id", StatusCode.NotFound, "job 'job-nope' not found" },
        { "Register: no inventory", StatusCode.InvalidArgument, "inventory: required" },
        { "Register: bad name", StatusCode.InvalidArgument, "name: must be a DNS subdomain" },
        { "Register: negative cores", StatusCode.InvalidArgument, "inventory.cpu_cores: must be between 1 and 4096, got -1" },
        { "Heartbeat: no agent id", StatusCode.InvalidArgument, "agent_id: required" },
        { "Heartbeat: another agent", StatusCode.PermissionDenied, "agent_id: this credential acts only as the agent it was issued to" },
        { "ReceiveCommands: another agent", StatusCode.PermissionDenied, "agent_id: this credential acts only as the agent it was issued to" },
        { "ReportJobEvents: another agent", StatusCode.PermissionDenied, "agent_id: this credential acts only as the agent it was issued to" },
        { "ReportJobEvents: unknown job", StatusCode.NotFound, "job 'job-nope' not found" },
        { "ReportJobEvents: empty event", StatusCode.InvalidArgument, "events[0]: must be progress, epoch, checkpoint, log or tensorboard" },
        { "ReportJobEvents: tensorboard file outside its directory", StatusCode.InvalidArgument, "events[0].tensorboard.file: must be a plain file name, got '../x'" },
        { "ReportJobResult: no result", StatusCode.InvalidArgument, "result: required" },
        { "ReportJobResult: unset state", StatusCode.InvalidArgument, "result.state: unknown job state 0" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Rpc_BadInput_RefusedNamingTheProblem(string scenario, StatusCode expected, string message)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => CallAsync(scenario));

        Assert.Equal(expected, error.StatusCode);
        Assert.Contains(message, error.Status.Detail, StringComparison.Ordinal);

        var health = await new Health.HealthClient(controller.Client.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        await controller.Client.Sessions.ListSessionsAsync(new ListSessionsRequest());
    }

    private async Task CallAsync(string scenario)
    {
        var sessions = controller.Client.Sessions;
        var jobs = controller.Client.Jobs;
        var joining = new AgentService.AgentServiceClient(controller.Client.Channel);
        var join = new Metadata { { "authorization", "Bearer " + TestCredentials.JoinToken } };
        var agent = scenario.StartsWith("Register", StringComparison.Ordinal) ? null : await TestAgent.RegisterAsync(controller.Client.Channel, "bad-input-agent");
        var agents = agent?.Client;
        var self = agent?.AgentId ?? "";
        var cpu = new ResourceRequest { Runtime = Runtime.Cpu };
        var spec = new JobSpec { Model = new ModelSpec { Name = "mlp" }, Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 64 } } };
        var inventory = new Inventory { CpuCores = 2, MemoryBytes = 1 << 30, CpuSlots = 1 };

        switch (scenario)
        {
            case "CreateSession: no resources":
                await sessions.CreateSessionAsync(new CreateSessionRequest());
                break;
            case "CreateSession: runtime unset":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest() });
                break;
            case "CreateSession: unknown runtime":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = (Runtime)7 } });
                break;
            case "CreateSession: negative gpus":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Gpu, GpuCount = -2 } });
                break;
            case "CreateSession: cpu with gpus":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu, GpuCount = 1 } });
                break;
            case "CreateSession: negative priority":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = cpu, Priority = -1 });
                break;
            case "CreateSession: idle timeout too long":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = cpu, IdleTimeout = Google.Protobuf.WellKnownTypes.Duration.FromTimeSpan(TimeSpan.FromDays(2)) });
                break;
            case "CreateSession: negative lifetime":
                await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = cpu, MaxLifetime = new Google.Protobuf.WellKnownTypes.Duration { Seconds = -60 } });
                break;
            case "ResumeSession: unknown id":
                await sessions.ResumeSessionAsync(new ResumeSessionRequest { SessionId = "ses-nope" });
                break;
            case "ResumeSession: not evicted":
                var live = await sessions.CreateSessionAsync(new CreateSessionRequest { Resources = cpu });
                await sessions.ResumeSessionAsync(new ResumeSessionRequest { SessionId = live.Id });
                break;
            case "ExplainIdleness: no id":
                await sessions.ExplainIdlenessAsync(new ExplainIdlenessRequest());
                break;
            case "KeepAlive: unknown id":
                await sessions.KeepAliveAsync(new KeepAliveRequest { SessionId = "ses-nope" });
                break;
            case "GetSession: no id":
                await sessions.GetSessionAsync(new GetSessionRequest());
                break;
            case "GetSession: unknown id":
                await sessions.GetSessionAsync(new GetSessionRequest { SessionId = "ses-000000000000" });
                break;
            case "TerminateSession: unknown id":
                await sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = "ses-nope" });
                break;
            case "WatchSession: unknown id":
                await Drain(sessions.WatchSession(new WatchSessionRequest { SessionId = "ses-nope" }).ResponseStream);
                break;
            case "SubmitJob: neither session nor batch":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Spec = spec });
                break;
            case "SubmitJob: both session and batch":
                await jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = "ses-x", Batch = new BatchSession { Resources = cpu }, Spec = spec });
                break;
            case "SubmitJob: no spec":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = cpu } });
                break;
            case "SubmitJob: no model":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = cpu }, Spec = new JobSpec { Data = spec.Data } });
                break;
            case "SubmitJob: unknown model":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = cpu }, Spec = new JobSpec(spec) { Model = new ModelSpec { Name = "gpt" } } });
                break;
            case "SubmitJob: negative batch size":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = cpu }, Spec = new JobSpec(spec) { Hyperparameters = new Hyperparameters { BatchSize = -5 } } });
                break;
            case "SubmitJob: unknown schedule":
                await jobs.SubmitJobAsync(new SubmitJobRequest
                {
                    Batch = new BatchSession { Resources = cpu },
                    Spec = new JobSpec(spec) { Hyperparameters = new Hyperparameters { Schedule = new LearningRateSchedule { Name = "linear" } } },
                });
                break;
            case "SubmitJob: torchscript without module":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = cpu }, Spec = new JobSpec(spec) { Model = new ModelSpec { Name = "torchscript" } } });
                break;
            case "SubmitJob: unknown session":
                await jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = "ses-nope", Spec = spec });
                break;
            case "SubmitJob: batch without runtime":
                await jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession(), Spec = spec });
                break;
            case "GetJob: no id":
                await jobs.GetJobAsync(new GetJobRequest());
                break;
            case "GetJob: unknown id":
                await jobs.GetJobAsync(new GetJobRequest { JobId = "job-nope" });
                break;
            case "ListJobs: unknown session":
                await jobs.ListJobsAsync(new ListJobsRequest { SessionId = "ses-nope" });
                break;
            case "CancelJob: unknown id":
                await jobs.CancelJobAsync(new CancelJobRequest { JobId = "job-nope" });
                break;
            case "StreamJobEvents: unknown id":
                await Drain(jobs.StreamJobEvents(new StreamJobEventsRequest { JobId = "job-nope" }).ResponseStream);
                break;
            case "Register: no inventory":
                await joining.RegisterAsync(new RegisterAgentRequest { Name = "a1" }, join);
                break;
            case "Register: bad name":
                await joining.RegisterAsync(new RegisterAgentRequest { Name = "../etc", Inventory = inventory }, join);
                break;
            case "Register: negative cores":
                await joining.RegisterAsync(new RegisterAgentRequest { Name = "a1", Inventory = new Inventory { CpuCores = -1 } }, join);
                break;
            case "Heartbeat: no agent id":
                await agents!.HeartbeatAsync(new HeartbeatRequest());
                break;
            case "Heartbeat: another agent":
                await agents!.HeartbeatAsync(new HeartbeatRequest { AgentId = "agt-nope" });
                break;
            case "ReceiveCommands: another agent":
                await Drain(agents!.ReceiveCommands(new ReceiveCommandsRequest { AgentId = "agt-nope" }).ResponseStream);
                break;
            case "ReportJobEvents: another agent":
                await agents!.ReportJobEventsAsync(new ReportJobEventsRequest { AgentId = "agt-nope", JobId = "job-nope" });
                break;
            case "ReportJobEvents: unknown job":
                await agents!.ReportJobEventsAsync(new ReportJobEventsRequest { AgentId = self, JobId = "job-nope" });
                break;
            case "ReportJobEvents: empty event":
                await agents!.ReportJobEventsAsync(new ReportJobEventsRequest { AgentId = self, JobId = "job-nope", Events = { new JobEvent() } });
                break;
            case "ReportJobEvents: tensorboard file outside its directory":
                await agents!.ReportJobEventsAsync(new ReportJobEventsRequest
                {
                    AgentId = self,
                    JobId = "job-nope",
                    Events = { new JobEvent { Tensorboard = new TensorBoardChunk { File = "../x", Data = Google.Protobuf.ByteString.CopyFromUtf8("x") } } },
                });
                break;
            case "ReportJobResult: no result":
                await agents!.ReportJobResultAsync(new ReportJobResultRequest { AgentId = self, JobId = "job-nope" });
                break;
            case "ReportJobResult: unset state":
                await agents!.ReportJobResultAsync(new ReportJobResultRequest { AgentId = self, JobId = "job-nope", Result = new JobResult() });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scenario), scenario, "no such case");
        }
    }

    private static async Task Drain<T>(IAsyncStreamReader<T> stream)
    {
        while (await stream.MoveNext(CancellationToken.None))
        {
        }
    }
}
