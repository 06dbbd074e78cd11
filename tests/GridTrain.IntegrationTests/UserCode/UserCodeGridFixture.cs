using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using GridTrain.Client;
using GridTrain.Controller.Hosting;
using GridTrain.Domain.Coordination;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.UserCode;

/// <summary>
/// A controller and one agent process (two CPU slots, a small workspace limit, the agent's secrets in its environment)
/// on loopback, a user "alice" with a session, and the built CLI to run against them.
/// </summary>
public sealed class UserCodeGridFixture : IAsyncLifetime
{
    /// <summary>A value of the agent's Drive credentials (its key id), which user code must never see.</summary>
    public static string DriveSecret { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));

    public const string WorkspaceLimit = "64MiB";

    private ControllerServer _server = null!;

    public string Root { get; } = Directory.CreateTempSubdirectory("gridtrain-usercode-").FullName;

    public AgentProcess Agent { get; private set; } = null!;

    public Uri Address => _server.Address;

    public string AliceToken { get; private set; } = "";

    public GridTrainClient Alice { get; private set; } = null!;

    public GridTrainClient Bob { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _server = ControllerServer.Create(new IPEndPoint(IPAddress.Loopback, 0), new GridOptions { AgentTimeout = TimeSpan.FromSeconds(30) });
        await _server.StartAsync(CancellationToken.None);
        AliceToken = await _server.CreateTokenAsync("alice");
        Alice = new GridTrainClient(_server.Address, token: AliceToken);
        Bob = new GridTrainClient(_server.Address, token: await _server.CreateTokenAsync("bob"));
        Agent = AgentProcess.Start(
            _server.Address,
            "usercode-node",
            Path.Combine(Root, "agent"),
            cpuSlots: 64,
            extraArguments: ["--workspace-limit", WorkspaceLimit],
            environment: new Dictionary<string, string?>
            {
                ["GRIDTRAIN_DRIVE_CREDENTIALS_JSON"] = ServiceAccountJson(),
                ["GOOGLE_APPLICATION_CREDENTIALS"] = "/secrets/" + DriveSecret + ".json",
            });
        await Agent.WaitForLineAsync("registered as", TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        await Agent.DisposeAsync();
        Alice.Dispose();
        Bob.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(Root, recursive: true);
    }

    private static string ServiceAccountJson()
    {
        using var key = RSA.Create(2048);
        return new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "fake-project",
            ["private_key_id"] = DriveSecret,
            ["private_key"] = key.ExportPkcs8PrivateKeyPem() + "\n",
            ["client_email"] = "agent@fake-project.iam.gserviceaccount.com",
            ["client_id"] = "100000000000000000001",
            ["token_uri"] = "http://127.0.0.1:1/token",
        }.ToJsonString();
    }

    /// <summary>A new CPU session of alice's, once READY.</summary>
    public async Task<Session> ReadySessionAsync()
    {
        var created = await Alice.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu } });
        return await Poll.UntilAsync(
            async ct => await Alice.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = created.Id }, cancellationToken: ct) is { State: SessionState.Ready } ready ? ready : null,
            GridEvents.Timeout,
            () => $"session {created.Id} is not READY; agent output:\n{Agent.Output()}");
    }

    /// <summary>The session's workspace directory on the agent.</summary>
    public string WorkspaceOf(string sessionId) => Path.Combine(Agent.WorkDirectory, "sessions", sessionId, "workspace");

    /// <summary>Runs the built <c>gridtrain</c> as alice; <paramref name="stdin"/> is written to its input, then closed.</summary>
    public async Task<CliRun> RunCliAsync(byte[]? stdin, params string[] args)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        startInfo.Environment["GRIDTRAIN_CONTROLLER"] = Address.ToString();
        startInfo.Environment["GRIDTRAIN_TOKEN"] = AliceToken;
        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(GridEvents.Timeout);
        var output = new MemoryStream();
        var copyOut = process.StandardOutput.BaseStream.CopyToAsync(output, timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        if (stdin is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync(timeout.Token);
        await copyOut;
        return new CliRun(process.ExitCode, output.ToArray(), await error);
    }
}

/// <summary>How a CLI run ended: exit code, standard output as bytes, standard error.</summary>
public sealed record CliRun(int ExitCode, byte[] Output, string Error)
{
    public string Text => System.Text.Encoding.UTF8.GetString(Output);

    public override string ToString() => $"exit {ExitCode}; stdout: {Text[..Math.Min(Text.Length, 2000)]}; stderr: {Error}";
}
