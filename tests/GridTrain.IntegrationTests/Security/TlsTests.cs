using System.Net;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Security;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.Security;

/// <summary>
/// TLS end to end with certificates generated in the test: clients and agents verify the controller against the CA
/// they are given; with mutual TLS for agents, an agent without a client certificate signed by the agent CA is refused,
/// while users need none.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-tls-").FullName;
    private ControllerServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(
            new IPEndPoint(IPAddress.Loopback, 0),
            new GridOptions { HeartbeatInterval = TimeSpan.FromMilliseconds(500), AgentTimeout = TimeSpan.FromSeconds(10), MaxJobAttempts = 1 },
            security: new ControllerSecurityOptions
            {
                AdminToken = TestCredentials.AdminToken,
                JoinToken = TestCredentials.JoinToken,
                CertificateFile = _pki.ServerCertificateFile,
                KeyFile = _pki.ServerKeyFile,
                AgentClientCaFile = _pki.CaFile,
                UserRequestsPerSecond = 0,
            });
        await _server.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _pki.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Client_TrustingTheCa_CallsOverTls()
    {
        using var client = new GridTrainClient(_server.Address, new GridTrainClientOptions { Token = TestCredentials.AdminToken, CaFile = _pki.CaFile });

        var me = await client.Tokens.WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal("https", _server.Address.Scheme);
        Assert.Equal("admin", me.User);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_NotTrustingTheServerCertificate_RefusesTheConnection(bool otherCa)
    {
        using var client = new GridTrainClient(_server.Address, new GridTrainClientOptions { Token = TestCredentials.AdminToken, CaFile = otherCa ? _pki.RogueCaFile : null });

        var error = await Assert.ThrowsAsync<RpcException>(() => client.Tokens.WhoAmIAsync(new WhoAmIRequest()).ResponseAsync);

        Assert.True(Causes(error).OfType<System.Security.Authentication.AuthenticationException>().Any(), $"not a TLS failure: {error}");
    }

    [Fact]
    public async Task MutualTls_AgentWithoutClientCertificate_Unauthenticated()
    {
        using var channel = ControllerChannel.Create(_server.Address, new GridTrainClientOptions { CaFile = _pki.CaFile });

        var error = await Assert.ThrowsAsync<RpcException>(() => TestAgent.RegisterAsync(channel, "no-cert"));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Equal("agents must present a TLS client certificate signed by the agent CA", error.Status.Detail);
    }

    [Fact]
    public async Task MutualTls_ClientCertificateOfAnotherCa_RefusedAtTheHandshake()
    {
        using var channel = ControllerChannel.Create(_server.Address, new GridTrainClientOptions { CaFile = _pki.CaFile, ClientCertificateFile = _pki.RogueClientCertificateFile, ClientKeyFile = _pki.RogueClientKeyFile });

        var error = await Assert.ThrowsAsync<RpcException>(() => TestAgent.RegisterAsync(channel, "rogue"));

        using var admin = new GridTrainClient(_server.Address, new GridTrainClientOptions { Token = TestCredentials.AdminToken, CaFile = _pki.CaFile });
        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.DoesNotContain((await admin.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents, a => a.Name == "rogue");
    }

    [Fact]
    public async Task Cli_WithCaFile_VerifiesTheControllerAndCalls_WithoutItRefuses()
    {
        var trusted = await RunCliAsync("token", "whoami", "--controller", _server.Address.ToString(), "--token", TestCredentials.AdminToken, "--ca-file", _pki.CaFile);
        var untrusted = await RunCliAsync("token", "whoami", "--controller", _server.Address.ToString(), "--token", TestCredentials.AdminToken);

        Assert.Equal((0, "admin (admin)"), (trusted.ExitCode, trusted.Out.Trim()));
        Assert.Equal(1, untrusted.ExitCode);
        Assert.StartsWith("error:", untrusted.Error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunCliAsync(params string[] args)
    {
        var startInfo = new System.Diagnostics.ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = System.Diagnostics.Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static IEnumerable<Exception> Causes(Exception error)
    {
        for (Exception? cause = error; cause is not null; cause = cause.InnerException)
        {
            yield return cause;
            if (cause is RpcException { Status.DebugException: { } debug })
            {
                foreach (var inner in Causes(debug))
                {
                    yield return inner;
                }
            }
        }
    }

    [Fact]
    public async Task MutualTls_AgentProcessWithClientCertificate_JoinsAndRunsAJobOverTls()
    {
        using var client = new GridTrainClient(_server.Address, new GridTrainClientOptions { Token = TestCredentials.AdminToken, CaFile = _pki.CaFile });
        await using var agent = AgentProcess.Start(_server.Address, "tls-agent", Path.Combine(_root, "agent"), extraArguments:
        [
            "--ca-file", _pki.CaFile, "--client-cert", _pki.ClientCertificateFile, "--client-key", _pki.ClientKeyFile,
        ]);
        await agent.WaitForLineAsync("registered as", TimeSpan.FromSeconds(60));

        var job = await client.Jobs.SubmitJobAsync(new SubmitJobRequest { Batch = new BatchSession { Resources = new ResourceRequest { Runtime = Runtime.Cpu } }, Spec = TwoAgentGridFixture.ShortJob() });
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var finished = await client.WaitForJobAsync(job.Id, cancellationToken: timeout.Token);

        Assert.Equal(JobState.Succeeded, finished.State);
        Assert.Contains((await client.Fleet.ListAgentsAsync(new ListAgentsRequest())).Agents, a => a.Name == "tls-agent" && a.State == AgentState.Ready);
    }
}
