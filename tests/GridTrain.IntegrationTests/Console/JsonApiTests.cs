using System.Text.Json.Nodes;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Console;

/// <summary>
/// The HTTP/JSON API (gRPC JSON transcoding) with plain HttpClient: every route, the same tokens and isolation as
/// gRPC, and gRPC's status codes as HTTP statuses (400 naming the field, 401, 404 for another user's id, 429).
/// </summary>
public sealed class JsonApiTests(WebControllerFixture controller) : IClassFixture<WebControllerFixture>
{
    private static readonly object s_cpu = new { resources = new { runtime = "RUNTIME_CPU" } };

    /// <summary>Every transcoded route; the OpenAPI document must list exactly these, so a new one needs a test here.</summary>
    private static readonly string[] s_routes =
    [
        "get /v1/sessions", "post /v1/sessions", "get /v1/sessions/{session_id}", "delete /v1/sessions/{session_id}",
        "post /v1/sessions/{session_id}:resume", "get /v1/sessions/{session_id}/idleness", "post /v1/sessions/{session_id}:keepAlive",
        "get /v1/quota", "get /v1/sessions/{session_id}/events", "get /v1/sessions:watch",
        "get /v1/sessions/{session_id}/resources", "get /v1/sessions/{session_id}/resources:watch",
        "post /v1/jobs", "get /v1/jobs/{job_id}", "get /v1/jobs", "post /v1/jobs/{job_id}:cancel", "get /v1/jobs/{job_id}/events",
        "get /v1/agents", "post /v1/agents/{agent_id}:cordon", "post /v1/agents/{agent_id}:drain", "get /v1/agents:watch",
        "post /v1/agents/{agent_id}/gpus/{gpu_index}:undrain",
        "post /v1/tokens", "get /v1/tokens", "delete /v1/tokens/{id}", "get /v1/whoami",
    ];

    [Fact]
    public async Task OpenApiDocument_ListsEveryTranscodedRoute_WithoutAToken()
    {
        using var anonymous = controller.Api(token: null);

        var document = await anonymous.GetAsync("/openapi/v1.json");

        var routes = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Select(o => $"{o.Key} {p.Key}"));
        Assert.Equal(s_routes.Order(StringComparer.Ordinal), routes.Order(StringComparer.Ordinal));
        Assert.Equal("3.0.3", (string?)document["openapi"]);
        Assert.NotNull(document["components"]!["schemas"]!["Session"]!["properties"]!["idleTimeout"]);
    }

    [Fact]
    public async Task SessionRoutes_CreateGetListIdlenessKeepAliveWatchEnd()
    {
        using var alice = controller.Api(controller.AliceToken);

        var created = await alice.OkAsync(HttpMethod.Post, "/v1/sessions", new { resources = new { runtime = "RUNTIME_CPU" }, displayName = "json", idleTimeout = "600s" });
        var id = (string)created["id"]!;

        Assert.Equal("600s", (string?)created["idleTimeout"]);
        Assert.Equal("alice", (string?)(await alice.GetAsync($"/v1/sessions/{id}"))["owner"]);
        Assert.Contains(id, Ids((await alice.GetAsync("/v1/sessions"))["sessions"]));
        Assert.NotNull((await alice.GetAsync($"/v1/sessions/{id}/idleness"))["reasons"]);
        Assert.Equal(id, (string?)(await alice.OkAsync(HttpMethod.Post, $"/v1/sessions/{id}:keepAlive", new { }))["id"]);
        var first = Assert.Single(await alice.StreamAsync($"/v1/sessions/{id}/events", 1));
        Assert.Equal((string?)created["state"], (string?)first["state"]);
        var watched = Assert.Single(await alice.StreamAsync("/v1/sessions:watch", 1));
        Assert.Contains(id, Ids(watched["sessions"]));

        var (resumeStatus, resume) = await alice.SendAsync(HttpMethod.Post, $"/v1/sessions/{id}:resume", new { });
        Assert.Equal(400, resumeStatus);
        Assert.Contains("only an evicted or suspended session can be resumed", (string?)resume["message"], StringComparison.Ordinal);
        Assert.Equal("SESSION_STATE_TERMINATED", (string?)(await alice.OkAsync(HttpMethod.Delete, $"/v1/sessions/{id}"))["state"]);
        Assert.DoesNotContain(id, Ids((await alice.GetAsync("/v1/sessions"))["sessions"]));
        Assert.Contains(id, Ids((await alice.GetAsync("/v1/sessions?includeEnded=true"))["sessions"]));
    }

    [Fact]
    public async Task JobRoutes_SubmitGetListCancel_EventsStreamToTheEnd()
    {
        using var alice = controller.Api(controller.AliceToken);
        var session = (string)(await alice.OkAsync(HttpMethod.Post, "/v1/sessions", s_cpu))["id"]!;
        var spec = new
        {
            model = new { name = "mlp", hiddenSizes = new[] { 8 } },
            data = new { synthetic = new { trainExamples = 64, testExamples = 16, imageSize = 8, classes = 2 } },
            hyperparameters = new { optimizer = "adam", learningRate = 0.01, batchSize = 16, epochs = 1 },
        };

        var job = await alice.OkAsync(HttpMethod.Post, "/v1/jobs", new { sessionId = session, spec });
        var jobId = (string)job["id"]!;

        Assert.Equal("JOB_STATE_QUEUED", (string?)job["state"]);
        Assert.Equal(session, (string?)(await alice.GetAsync($"/v1/jobs/{jobId}"))["sessionId"]);
        Assert.Contains(jobId, Ids((await alice.GetAsync($"/v1/jobs?sessionId={session}"))["jobs"]));
        Assert.Contains(jobId, Ids((await alice.GetAsync("/v1/jobs"))["jobs"]));
        Assert.Equal("JOB_STATE_CANCELLED", (string?)(await alice.OkAsync(HttpMethod.Post, $"/v1/jobs/{jobId}:cancel", new { }))["state"]);
        var events = await alice.StreamToEndAsync($"/v1/jobs/{jobId}/events");
        Assert.Equal("JOB_STATE_CANCELLED", (string?)events[^1]["stateChanged"]!["state"]);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => (long)e["sequence"]!));
    }

    [Fact]
    public async Task FleetAndTokenRoutes_AdminsCordonDrainAndManageTokens_UsersSeeAgents()
    {
        using var admin = controller.Api(TestCredentials.AdminToken);
        using var alice = controller.Api(controller.AliceToken);
        var agent = await TestAgent.RegisterAsync(controller.Admin.Channel, "json-agent");

        Assert.Contains(agent.AgentId, Ids((await alice.GetAsync("/v1/agents"))["agents"]));
        Assert.Equal(403, (await alice.SendAsync(HttpMethod.Post, $"/v1/agents/{agent.AgentId}:cordon", new { })).Status);
        Assert.True((bool?)(await admin.OkAsync(HttpMethod.Post, $"/v1/agents/{agent.AgentId}:cordon", new { }))["cordoned"]);
        Assert.NotNull((await admin.OkAsync(HttpMethod.Post, $"/v1/agents/{agent.AgentId}:drain", new { deadline = "60s" }))["drainDeadline"]);

        var created = await admin.OkAsync(HttpMethod.Post, "/v1/tokens", new { user = "carol", description = "json" });
        var tokenId = (string)created["info"]!["id"]!;
        using (var carol = controller.Api((string)created["token"]!))
        {
            Assert.Equal("carol", (string?)(await carol.GetAsync("/v1/whoami"))["user"]);
        }

        Assert.Contains(tokenId, Ids((await admin.GetAsync("/v1/tokens"))["tokens"]));
        Assert.NotNull((await admin.OkAsync(HttpMethod.Delete, $"/v1/tokens/{tokenId}"))["revokedAt"]);
        Assert.Equal(401, (await controller.Api((string)created["token"]!).SendAsync(HttpMethod.Get, "/v1/whoami")).Status);
        Assert.Equal(403, (await alice.SendAsync(HttpMethod.Get, "/v1/tokens")).Status);
    }

    [Theory]
    [InlineData("""{"resources":{"runtime":"RUNTIME_CPU"},"priority":5000}""", "priority")]
    [InlineData("""{"priority":1}""", "resources")]
    [InlineData("""{"resources":{"runtime":"RUNTIME_CPU"},"idleTimeout":"-5s"}""", "idle_timeout")]
    [InlineData("""{"resources":{"runtime":"RUNTIME_CPU"},"displayName":{"not":"a string"}}""", "displayName: must be a string")]
    [InlineData("""{"resources":{"runtime":"RUNTIME_CPUX"}}""", "resources.runtime: 'RUNTIME_CPUX' is not one of")]
    [InlineData("""{"resources":{"runtime":"RUNTIME_CPU"},"idleTimeuot":"60s"}""", "idleTimeuot: unknown field of CreateSessionRequest")]
    [InlineData("""{"resources":{"runtime":"RUNTIME_CPU"}""", "not valid JSON")]
    public async Task BadInput_400_NamingTheField(string body, string field)
    {
        using var alice = controller.Api(controller.AliceToken);

        var (status, error) = await alice.SendAsync(HttpMethod.Post, "/v1/sessions", rawBody: body);

        Assert.Equal(400, status);
        Assert.Contains(field, (string?)error["message"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("gt_nope_nope")]
    public async Task MissingOrUnknownToken_401_OnEveryService(string? token)
    {
        using var api = controller.Api(token);

        foreach (var path in new[] { "/v1/sessions", "/v1/jobs", "/v1/agents", "/v1/whoami", "/v1/quota", "/v1/agents:watch", "/v1/sessions/ses-000000000000/resources", "/v1/sessions/ses-000000000000/resources:watch" })
        {
            var (status, error) = await api.SendAsync(HttpMethod.Get, path);
            Assert.True(status == 401, $"{path}: {status}");
            Assert.DoesNotContain("gt_nope", error.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task AnotherUsersIds_404_LikeUnknownOnes_AndNeverListed()
    {
        using var alice = controller.Api(controller.AliceToken);
        using var bob = controller.Api(controller.BobToken);
        var session = (string)(await alice.OkAsync(HttpMethod.Post, "/v1/sessions", s_cpu))["id"]!;

        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, $"/v1/sessions/{session}"), (HttpMethod.Delete, $"/v1/sessions/{session}"),
                     (HttpMethod.Get, $"/v1/sessions/{session}/idleness"), (HttpMethod.Post, $"/v1/sessions/{session}:keepAlive"),
                     (HttpMethod.Get, $"/v1/sessions/{session}/events"), (HttpMethod.Get, $"/v1/jobs?sessionId={session}"),
                     (HttpMethod.Get, $"/v1/sessions/{session}/resources"), (HttpMethod.Get, $"/v1/sessions/{session}/resources:watch"),
                 })
        {
            var (status, error) = await bob.SendAsync(method, path, method == HttpMethod.Post ? new { } : null);
            Assert.True(status == 404, $"{method} {path}: {status}");
            Assert.Contains("not found", (string?)error["message"], StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain(session, Ids((await bob.GetAsync("/v1/sessions?includeEnded=true"))["sessions"]));
        Assert.DoesNotContain(session, Ids(Assert.Single(await bob.StreamAsync("/v1/sessions:watch?includeEnded=true", 1))["sessions"]));
        Assert.Equal("alice", (string?)(await alice.GetAsync($"/v1/sessions/{session}"))["owner"]);
    }

    [Fact]
    public async Task OverQuota_429_SayingWhichLimit()
    {
        using var bob = controller.Api(controller.BobToken);
        var inventory = new Inventory { CpuCores = 8, MemoryBytes = 1L << 34, Gpus = { new GpuDevice { Index = 0, Model = "L4" }, new GpuDevice { Index = 1, Model = "L4" } } };
        var agent = await TestAgent.RegisterAsync(controller.Admin.Channel, "gpu-node", inventory);
        using var commands = agent.Client.ReceiveCommands(new ReceiveCommandsRequest { AgentId = agent.AgentId });
        var gpu = new { resources = new { runtime = "RUNTIME_GPU", gpuCount = 1 } };
        var first = (string)(await bob.OkAsync(HttpMethod.Post, "/v1/sessions", gpu))["id"]!;
        await WaitForAssignmentAsync(commands, first);

        var (status, error) = await bob.SendAsync(HttpMethod.Post, "/v1/sessions", gpu);

        Assert.Equal(429, status);
        Assert.Contains("concurrent GPUs: bob holds 1 of 1", (string?)error["message"], StringComparison.Ordinal);
        Assert.Equal(1, (int?)(await bob.GetAsync("/v1/quota"))["concurrentGpus"]);
    }

    [Fact]
    public async Task ConsoleAndApiAnswers_CarryTheSecurityHeaders()
    {
        using var http = new HttpClient { BaseAddress = controller.WebAddress };

        foreach (var path in new[] { "/", "/js/app.js", "/v1/sessions", "/openapi/v1.json" })
        {
            using var response = await http.GetAsync(path);
            var policy = string.Join(" ", response.Headers.GetValues("Content-Security-Policy"));
            Assert.Contains("script-src 'self'", policy, StringComparison.Ordinal);
            Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
            Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
            Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        }

        var page = await http.GetStringAsync("/");
        Assert.DoesNotMatch("<script(?![^>]*\\bsrc=)[^>]*>", page);
    }

    [Fact]
    public async Task SignInCode_TradedForItsTokenOnce()
    {
        using var anonymous = controller.Api(token: null);
        var link = controller.Server.CreateSignInLink(controller.AliceToken, "/quota");
        var code = System.Web.HttpUtility.ParseQueryString(link.Fragment.TrimStart('#'))["signin"]!;

        var (first, redeemed) = await anonymous.SendAsync(HttpMethod.Post, "/console/sign-in", new { code });
        var (second, refused) = await anonymous.SendAsync(HttpMethod.Post, "/console/sign-in", new { code });

        Assert.Equal(200, first);
        Assert.Equal(controller.AliceToken, (string?)redeemed["token"]);
        Assert.Equal(401, second);
        Assert.Contains("already used or has expired", (string?)refused["message"], StringComparison.Ordinal);
        Assert.DoesNotContain(controller.AliceToken, link.ToString(), StringComparison.Ordinal);
    }

    private static async Task WaitForAssignmentAsync(Grpc.Core.AsyncServerStreamingCall<AgentCommand> commands, string sessionId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await commands.ResponseStream.MoveNext(timeout.Token))
        {
            if (commands.ResponseStream.Current.AssignSession?.SessionId == sessionId)
            {
                return;
            }
        }
    }

    private static IEnumerable<string> Ids(JsonNode? list) => list?.AsArray().Select(n => (string)n!["id"]!) ?? [];
}
