using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Microsoft.Extensions.Logging;

namespace GridTrain.IntegrationTests.Security;

/// <summary>Bootstrap admin token, per-token rate limits, and secrets kept out of logs and errors.</summary>
public sealed class CredentialTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-credentials-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task BootstrapAdminToken_GeneratedOnFirstStartOnly_AndKeepsWorkingAfterRestart()
    {
        var storage = ControllerStorageOptions.InDirectory(_root);
        string generated;
        await using (var first = await ControllerServer.CreateAsync(Loopback(), storage, security: new ControllerSecurityOptions()))
        {
            await first.StartAsync(CancellationToken.None);
            Assert.True(first.AdminTokenGenerated);
            generated = first.AdminToken!;
        }

        await using var second = await ControllerServer.CreateAsync(Loopback(), storage, security: new ControllerSecurityOptions());
        await second.StartAsync(CancellationToken.None);
        using var admin = new GridTrainClient(second.Address, token: generated);
        var me = await admin.Tokens.WhoAmIAsync(new WhoAmIRequest());

        Assert.Matches("^gt_[0-9a-f]{16}_[0-9a-f]{64}$", generated);
        Assert.False(second.AdminTokenGenerated);
        Assert.Null(second.AdminToken);
        Assert.Equal(("admin", TokenRole.Admin), (me.User, me.Role));
    }

    [Fact]
    public async Task RateLimit_PerToken_ResourceExhaustedForTheBusyTokenOnly()
    {
        await using var server = ControllerServer.Create(Loopback(), security: new ControllerSecurityOptions { AdminToken = TestCredentials.AdminToken, UserRequestsPerSecond = 1 });
        await server.StartAsync(CancellationToken.None);
        using var busy = new GridTrainClient(server.Address, token: await server.CreateTokenAsync("busy"));
        using var quiet = new GridTrainClient(server.Address, token: await server.CreateTokenAsync("quiet"));

        var codes = new List<StatusCode>();
        for (var i = 0; i < 10; i++)
        {
            try
            {
                await busy.Tokens.WhoAmIAsync(new WhoAmIRequest());
                codes.Add(StatusCode.OK);
            }
            catch (RpcException ex)
            {
                codes.Add(ex.StatusCode);
                Assert.Equal("rate limit: at most 1 calls per second per token; retry later", ex.Status.Detail);
            }
        }

        Assert.Contains(StatusCode.ResourceExhausted, codes);
        Assert.Equal("quiet", (await quiet.Tokens.WhoAmIAsync(new WhoAmIRequest())).User);
    }

    [Fact]
    public async Task Secrets_NeverInLogsOrErrors()
    {
        var logs = new ConcurrentQueue<string>();
        const string adminToken = "configured-admin-secret-0123456789";
        const string joinToken = "configured-join-secret-0123456789";
        await using var server = ControllerServer.Create(
            Loopback(),
            configureLogging: logging => logging.AddProvider(new CollectingLoggerProvider(logs)).SetMinimumLevel(LogLevel.Trace),
            security: new ControllerSecurityOptions { AdminToken = adminToken, JoinToken = joinToken });
        await server.StartAsync(CancellationToken.None);
        using var admin = new GridTrainClient(server.Address, token: adminToken);
        var created = await admin.Tokens.CreateTokenAsync(new CreateTokenRequest { User = "erin" });
        var agent = await TestAgent.RegisterAsync(admin.Channel, "secret-agent", joinToken: joinToken);
        await agent.Client.HeartbeatAsync(new HeartbeatRequest { AgentId = agent.AgentId });
        var wrong = created.Token[..^4] + "ffff";
        using var forger = new GridTrainClient(server.Address, token: wrong);
        var error = await Assert.ThrowsAsync<RpcException>(() => forger.Sessions.ListSessionsAsync(new ListSessionsRequest()).ResponseAsync);

        var secrets = new[] { adminToken, joinToken, created.Token, created.Token[^64..], agent.Credential, agent.Credential[^64..], wrong[^64..] };
        Assert.NotEmpty(logs);
        Assert.Contains(logs, line => line.Contains(created.Info.Id, StringComparison.Ordinal));
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(logs, line => line.Contains(secret, StringComparison.Ordinal));
            Assert.DoesNotContain(secret, error.Status.Detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Options_TooShortConfiguredTokensAndHalfTls_RefusedWithoutEchoingSecrets()
    {
        var problems = new ControllerSecurityOptions { AdminToken = "short-secret", JoinToken = "tiny", CertificateFile = "/nope.pem" }.Validate().ToList();

        Assert.Contains("admin token: at least 16 characters", problems);
        Assert.Contains("join token: at least 16 characters", problems);
        Assert.Contains("TLS: set both the certificate file and the key file", problems);
        Assert.DoesNotContain(problems, p => p.Contains("short-secret", StringComparison.Ordinal) || p.Contains("tiny", StringComparison.Ordinal));
    }

    private static IPEndPoint Loopback() => new(IPAddress.Loopback, 0);

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{category}: {formatter(state, exception)} {exception}");
        }
    }
}
