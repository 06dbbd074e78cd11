using System.Net;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// Every name or path field refuses traversal attempts (<c>../</c>, absolute paths, percent-encoded and backslash
/// forms, control characters) with INVALID_ARGUMENT naming the field; dataset paths stay inside the configured roots.
/// </summary>
public sealed class PathTraversalTests : IAsyncLifetime
{
    private const string DatasetRoot = "/srv/datasets";
    private ControllerServer _server = null!;
    private GridTrainClient _admin = null!;

    public static TheoryData<string> Attempts() =>
    [
        "../etc",
        "../../../../etc/passwd",
        "/etc/passwd",
        "a/../../b",
        "..%2f..%2fetc",
        "%2e%2e%2f%2e%2e%2fetc",
        "..\\..\\windows\\system32",
        "..",
        "evil\0name",
        "line\nbreak",
    ];

    public static TheoryData<string> DatasetAttempts() =>
    [
        "/etc",
        "/srv/datasets/../../etc",
        "/srv/datasets/mnist/../../../etc/shadow",
        "/srv/datasets/./mnist",
        "/srv/datasets%2f..%2f..%2fetc",
        "/srv/datasets/%2e%2e/secrets",
        "/srv/datasets-other/mnist",
        "srv/datasets/mnist",
        "../srv/datasets/mnist",
        "/srv/datasets\\..\\etc",
        "/srv/datasets/mnist\0",
        "/srv//datasets/mnist",
    ];

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            security: new ControllerSecurityOptions { AdminToken = TestCredentials.AdminToken, JoinToken = TestCredentials.JoinToken, DatasetRoots = [DatasetRoot], UserRequestsPerSecond = 0 });
        await _server.StartAsync(CancellationToken.None);
        _admin = new GridTrainClient(_server.Address, token: TestCredentials.AdminToken);
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _server.DisposeAsync();
    }

    [Theory]
    [MemberData(nameof(Attempts))]
    public async Task NameAndIdFields_TraversalAttempt_InvalidArgumentNamingTheField(string attempt)
    {
        var session = await _admin.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu() });
        var joining = new AgentService.AgentServiceClient(ControllerChannel.WithToken(_admin.Channel, () => TestCredentials.JoinToken));
        var agent = await TestAgent.RegisterAsync(_admin.Channel, "traversal-agent");
        var cases = new (string Field, Func<Task> Call)[]
        {
            ("display_name", () => _admin.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = Cpu(), DisplayName = attempt }).ResponseAsync),
            ("spec.display_name", () => _admin.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = session.Id, Spec = Spec(displayName: attempt) }).ResponseAsync),
            ("session_id", () => _admin.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = attempt }).ResponseAsync),
            ("session_id", () => _admin.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = attempt }).ResponseAsync),
            ("session_id", () => _admin.Jobs.SubmitJobAsync(new SubmitJobRequest { SessionId = attempt, Spec = Spec() }).ResponseAsync),
            ("session_id", () => _admin.Jobs.ListJobsAsync(new ListJobsRequest { SessionId = attempt }).ResponseAsync),
            ("job_id", () => _admin.Jobs.GetJobAsync(new GetJobRequest { JobId = attempt }).ResponseAsync),
            ("job_id", () => _admin.Jobs.CancelJobAsync(new CancelJobRequest { JobId = attempt }).ResponseAsync),
            ("agent_id", () => _admin.Fleet.CordonAgentAsync(new CordonAgentRequest { AgentId = attempt }).ResponseAsync),
            ("agent_id", () => _admin.Fleet.DrainAgentAsync(new DrainAgentRequest { AgentId = attempt }).ResponseAsync),
            ("agent_id", () => agent.Client.HeartbeatAsync(new HeartbeatRequest { AgentId = attempt }).ResponseAsync),
            ("job_id", () => agent.Client.ReportJobResultAsync(new ReportJobResultRequest { AgentId = agent.AgentId, JobId = attempt, Result = new JobResult { State = JobState.Succeeded } }).ResponseAsync),
            ("name", () => joining.RegisterAsync(new RegisterAgentRequest { Name = attempt, Inventory = new Inventory { CpuCores = 1, MemoryBytes = 1 << 30, CpuSlots = 1 } }).ResponseAsync),
            ("user", () => _admin.Tokens.CreateTokenAsync(new CreateTokenRequest { User = attempt }).ResponseAsync),
            ("id", () => _admin.Tokens.RevokeTokenAsync(new RevokeTokenRequest { Id = attempt }).ResponseAsync),
        };

        foreach (var (field, call) in cases)
        {
            var error = await Assert.ThrowsAsync<RpcException>(call);

            Assert.True(error.StatusCode == StatusCode.InvalidArgument, $"{field} = '{attempt}': {error.StatusCode} {error.Status.Detail}");
            Assert.StartsWith(field + ":", error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(DatasetAttempts))]
    public async Task DatasetPath_OutsideTheConfiguredRoot_InvalidArgumentNamingTheField(string attempt)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _admin.Jobs.SubmitJobAsync(new SubmitJobRequest
        {
            Batch = new BatchSession { Resources = Cpu() },
            Spec = Spec(),
        }.WithIdx(attempt)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("spec.data.idx_directory:", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DatasetPath_InsideTheRoot_Accepted()
    {
        var job = await _admin.Jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = Cpu() }, Spec = Spec() }.WithIdx("/srv/datasets/fashion-mnist"));

        Assert.Equal("/srv/datasets/fashion-mnist", job.Spec.Data.IdxDirectory);
    }

    private static ResourceRequest Cpu() => new() { Runtime = Runtime.Cpu };

    private static JobSpec Spec(string displayName = "") => new()
    {
        Model = new ModelSpec { Name = "mlp" },
        Data = new DataSpec { Synthetic = new SyntheticData { TrainExamples = 64 } },
        DisplayName = displayName,
    };
}

internal static class SubmitJobRequestExtensions
{
    /// <summary>The request reading an IDX dataset from <paramref name="directory"/> instead of synthetic data.</summary>
    public static SubmitJobRequest WithIdx(this SubmitJobRequest request, string directory)
    {
        request.Spec.Data = new DataSpec { IdxDirectory = directory };
        return request;
    }
}
