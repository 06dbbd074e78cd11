using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using GridTrain.Protos.V1;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// Thousands of random and mutated requests to every RPC, with every kind of credential (and none): the controller
/// never fails (never INTERNAL or UNKNOWN, never internals in a message), keeps serving, and its state stays consistent.
/// </summary>
public sealed class FuzzTests(SecuredController grid, ITestOutputHelper output) : IClassFixture<SecuredController>
{
    private const int CallsPerMethod = 150;
    private static readonly Marshaller<byte[]> s_bytes = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task EveryRpc_RandomAndMutatedMessages_NeverCrashesNorLeaksAndStateStaysConsistent()
    {
        var methods = new[] { SessionService.Descriptor, JobService.Descriptor, FleetService.Descriptor, TokenService.Descriptor, AgentService.Descriptor }
            .SelectMany(s => s.Methods)
            .ToList();
        string[] credentials = ["", grid.AdminToken, grid.AliceToken, grid.BobToken, grid.JoinToken, grid.AgentA.Credential, "Bearer", "garbage"];
        string[] ids = [grid.BobOwns.SessionId, grid.BobOwns.JobId, grid.AliceOwns.SessionId, grid.AliceOwns.JobId, grid.AgentA.AgentId, grid.AgentB.AgentId, "agent-a", "mlp", "cnn", "adam"];
        var invoker = grid.Anonymous.Channel.CreateCallInvoker();
        var codes = new Dictionary<StatusCode, int>();
        var failures = new List<string>();
        var work = methods.SelectMany(m => Enumerable.Range(0, CallsPerMethod).Select(i => (Method: m, Index: i))).ToList();
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(async worker =>
        {
            var fuzzer = new MessageFuzzer(seed: 8_000 + worker, ids);
            var random = new Random(worker);
            while (Interlocked.Increment(ref next) is var i && i < work.Count)
            {
                var (method, index) = work[i];
                var request = fuzzer.Next(method.InputType);
                var credential = credentials[random.Next(credentials.Length)];
                var code = await CallAsync(invoker, method, request, credential);
                lock (codes)
                {
                    codes[code.StatusCode] = codes.GetValueOrDefault(code.StatusCode) + 1;
                    if (code.StatusCode is StatusCode.Internal or StatusCode.Unknown || LeaksInternals(code.Detail))
                    {
                        failures.Add($"{method.FullName} #{index}: {code.StatusCode} '{code.Detail}' for {Convert.ToHexString(request)[..Math.Min(200, request.Length * 2)]}");
                    }
                }
            }
        }));

        output.WriteLine($"{work.Count} calls to {methods.Count} methods: " + string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")));
        Assert.True(work.Count >= 3000, "thousands of calls");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        var health = await new Health.HealthClient(grid.Anonymous.Channel).CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        await AssertConsistentAsync();
    }

    private static async Task<Status> CallAsync(CallInvoker invoker, MethodDescriptor method, byte[] request, string credential)
    {
        var headers = credential.Length == 0 ? new Metadata() : new Metadata { { "authorization", credential.StartsWith("Bearer", StringComparison.Ordinal) ? credential : "Bearer " + credential } };
        var options = new CallOptions(headers, DateTime.UtcNow.AddSeconds(method.IsServerStreaming ? 1 : 30));
        var grpcMethod = new Method<byte[], byte[]>(method.IsServerStreaming ? MethodType.ServerStreaming : MethodType.Unary, method.Service.FullName, method.Name, s_bytes, s_bytes);
        try
        {
            if (method.IsServerStreaming)
            {
                using var call = invoker.AsyncServerStreamingCall(grpcMethod, null, options, request);
                for (var read = 0; read < 3 && await call.ResponseStream.MoveNext(CancellationToken.None); read++)
                {
                }
            }
            else
            {
                await invoker.AsyncUnaryCall(grpcMethod, null, options, request);
            }

            return Status.DefaultSuccess;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded && method.IsServerStreaming)
        {
            return new Status(StatusCode.DeadlineExceeded, "stream still open");
        }
        catch (RpcException ex)
        {
            return ex.Status;
        }
    }

    private static bool LeaksInternals(string detail) =>
        detail.Contains("Exception", StringComparison.Ordinal) || detail.Contains("   at ", StringComparison.Ordinal) || detail.Contains("System.", StringComparison.Ordinal)
        || detail.Contains("Npgsql", StringComparison.Ordinal) || detail.Contains("Sqlite", StringComparison.Ordinal);

    /// <summary>Sessions, jobs and agents agree with each other; users still see only their own sessions.</summary>
    private async Task AssertConsistentAsync()
    {
        var sessions = (await grid.Admin.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true })).Sessions.ToDictionary(s => s.Id);
        var jobs = (await grid.Admin.Jobs.ListJobsAsync(new ListJobsRequest())).Jobs;
        var agents = (await grid.Admin.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents.ToDictionary(a => a.Id);

        foreach (var job in jobs)
        {
            Assert.True(sessions.ContainsKey(job.SessionId), $"job {job.Id} belongs to unknown session {job.SessionId}");
        }

        foreach (var group in jobs.GroupBy(j => j.SessionId))
        {
            Assert.True(group.Count(j => j.State == JobState.Running) <= 1, $"session {group.Key} runs more than one job");
        }

        foreach (var session in sessions.Values)
        {
            Assert.False(string.IsNullOrEmpty(session.Owner), $"session {session.Id} has no owner");
            if (session.State is SessionState.Starting or SessionState.Ready or SessionState.Busy)
            {
                Assert.True(agents.TryGetValue(session.AgentId, out var agent), $"session {session.Id} is held by unknown agent '{session.AgentId}'");
                Assert.Contains(session.Id, agent!.SessionIds);
            }
        }

        foreach (var agent in agents.Values)
        {
            Assert.True(agent.FreeCpuSlots >= 0, $"agent {agent.Id} has {agent.FreeCpuSlots} free CPU slots");
            Assert.Equal(agent.FreeGpuIndexes.Count, agent.FreeGpuIndexes.Distinct().Count());
            foreach (var id in agent.SessionIds)
            {
                Assert.True(sessions.TryGetValue(id, out var session) && session.AgentId == agent.Id, $"agent {agent.Id} lists session {id}, which is not held there");
            }
        }

        var alices = (await grid.Alice.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true })).Sessions;
        Assert.All(alices, s => Assert.Equal("alice", s.Owner));
    }
}
