using System.Text.Json;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Commands;

/// <summary>Token commands (admins), the config file's contexts, and how a missing or bad token is reported.</summary>
public sealed class SecurityCommandsTests(ControllerFixture controller) : IClassFixture<ControllerFixture>, IDisposable
{
    private readonly TestCli _cli = new();
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public async Task TokenCreate_PrintsTheTokenOnce_ItWorks_LsShowsIt_RevokeEndsIt()
    {
        var created = await Run("token", "create", "--user", "frank", "--description", "laptop");
        var token = created.Out.Trim();
        var me = await RunAs(token, "token", "whoami");
        var listed = await Run("token", "ls");
        var id = token.Split('_')[1];

        var revoked = await Run("token", "revoke", id);
        var after = await RunAs(token, "session", "ls");

        Assert.Equal(0, created.ExitCode);
        Assert.Matches("^gt_[0-9a-f]{16}_[0-9a-f]{64}$", token);
        Assert.Contains("shown only this once", created.Error);
        Assert.Equal("frank (user)", me.Out.Trim());
        Assert.Single(listed.OutLines, l => l.StartsWith(id, StringComparison.Ordinal) && l.Contains("frank") && l.Contains("laptop"));
        Assert.DoesNotContain(token[^64..], listed.Out);
        Assert.Equal(0, revoked.ExitCode);
        Assert.Equal(1, after.ExitCode);
        Assert.Contains("error: Unauthenticated: invalid or revoked token", after.Error);
        Assert.Contains("hint: pass --token", after.Error);
    }

    [Fact]
    public async Task TokenCreate_AsUser_PermissionDenied()
    {
        var user = await controller.CreateTokenAsync("grace");

        var run = await RunAs(user, "token", "create", "--user", "grace2");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: PermissionDenied: admins only: this call needs an admin token", run.Error.Trim());
    }

    [Fact]
    public async Task NoToken_UnauthenticatedWithAHint()
    {
        _cli.Environment.Remove("GRIDTRAIN_TOKEN");

        var run = await Run("session", "ls");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("error: Unauthenticated: missing credentials", run.Error);
        Assert.Contains("GRIDTRAIN_TOKEN", run.Error);
    }

    [Fact]
    public async Task Context_SetThenUse_SuppliesControllerAndToken_FlagsWin()
    {
        var heidi = await controller.CreateTokenAsync("heidi");
        _cli.Environment.Remove("GRIDTRAIN_TOKEN");
        _cli.Environment["HOME"] = _home.Path;

        var set = await _cli.RunAsync("context", "set", "lab", "--controller", controller.Address, "--token", heidi);
        var whoami = await _cli.RunAsync("token", "whoami");
        var listed = await _cli.RunAsync("context", "ls");
        var asAdmin = await _cli.RunAsync("token", "whoami", "--token", TestCredentials.AdminToken);
        var missing = await _cli.RunAsync("token", "whoami", "--context", "nope");

        var file = Path.Combine(_home.Path, ".config", "gridtrain", "config.json");
        Assert.Equal(0, set.ExitCode);
        Assert.Equal("heidi (user)", whoami.Out.Trim());
        Assert.Contains("lab", listed.Out);
        Assert.DoesNotContain(heidi, listed.Out);
        Assert.Equal("admin (admin)", asAdmin.Out.Trim());
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--context: no context named 'nope'", missing.Error);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }

        using var json = JsonDocument.Parse(File.ReadAllText(file));
        Assert.Equal("lab", json.RootElement.GetProperty("current").GetString());
    }

    [Fact]
    public async Task AgentRun_WithoutJoinToken_ExitsTwoSayingHowToSetIt()
    {
        var run = await _cli.RunAsync("agent", "run", "--controller", controller.Address, "--name", "x", "--work-dir", _home.Path);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("JoinToken: set the agent join token (--join-token-file or GRIDTRAIN_JOIN_TOKEN)", run.Error);
    }

    [Fact]
    public async Task ControllerRun_MissingTokenFileAndHalfTls_ExitTwoNamingTheFlag()
    {
        var missingFile = await _cli.RunAsync("controller", "run", "--data-dir", _home.Path, "--admin-token-file", _home.Combine("nope"));
        var halfTls = await _cli.RunAsync("controller", "run", "--data-dir", _home.Path, "--tls-cert", _home.Combine("nope.pem"));

        Assert.Equal(2, missingFile.ExitCode);
        Assert.Contains("--admin-token-file: cannot read", missingFile.Error);
        Assert.Equal(2, halfTls.ExitCode);
        Assert.Contains("TLS: set both the certificate file and the key file", halfTls.Error);
    }

    private Task<CliRun> Run(params string[] args) => _cli.RunAsync([.. args, "--controller", controller.Address]);

    private Task<CliRun> RunAs(string token, params string[] args) => _cli.RunAsync([.. args, "--controller", controller.Address, "--token", token]);
}
