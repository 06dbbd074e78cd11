using System.Text.Json;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Commands;

/// <summary>Session, job and agent commands against a real controller in this process (no agent, so nothing runs).</summary>
public sealed class ControllerCommandsTests(ControllerFixture controller) : IClassFixture<ControllerFixture>
{
    private readonly TestCli _cli = new();

    [Fact]
    public async Task SessionCreate_Json_PrintsTheCreatedSession()
    {
        var run = await Run("session", "create", "--name", "notebook", "--priority", "5", "-o", "json");

        Assert.Equal(0, run.ExitCode);
        using var json = JsonDocument.Parse(run.Out);
        Assert.StartsWith("ses-", json.RootElement.GetProperty("id").GetString());
        Assert.Equal("SESSION_STATE_PENDING", json.RootElement.GetProperty("state").GetString());
        Assert.Equal("RUNTIME_CPU", json.RootElement.GetProperty("resources").GetProperty("runtime").GetString());
        Assert.Equal("notebook", json.RootElement.GetProperty("displayName").GetString());
        Assert.Equal(5, json.RootElement.GetProperty("priority").GetInt32());
    }

    [Fact]
    public async Task SessionRm_ThenLs_OnlyAllListsTheEndedSession()
    {
        var id = await CreateSessionAsync();

        var removed = await Run("session", "rm", id);
        var live = await Run("session", "ls");
        var all = await Run("session", "ls", "--all");

        Assert.Equal(0, removed.ExitCode);
        Assert.Contains("TERMINATED", removed.Out);
        Assert.DoesNotContain(id, live.Out);
        Assert.Single(all.OutLines, line => line.StartsWith(id, StringComparison.Ordinal) && line.Contains("TERMINATED"));
    }

    [Fact]
    public async Task SessionRmAll_EndsOnlyTheCallersSessions()
    {
        var carol = await controller.CreateTokenAsync("carol");
        var dave = await controller.CreateTokenAsync("dave");
        _cli.Environment["GRIDTRAIN_TOKEN"] = carol;
        var mine = await CreateSessionAsync();
        var another = await CreateSessionAsync();
        _cli.Environment["GRIDTRAIN_TOKEN"] = dave;
        var theirs = await CreateSessionAsync();
        _cli.Environment["GRIDTRAIN_TOKEN"] = carol;

        var run = await Run("session", "rm-all");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(2, run.OutLines.Count(line => line.Contains("TERMINATED", StringComparison.Ordinal)));
        Assert.Contains(mine, run.Out);
        Assert.Contains(another, run.Out);
        Assert.DoesNotContain(theirs, run.Out);
        _cli.Environment["GRIDTRAIN_TOKEN"] = dave;
        Assert.Contains(theirs, (await Run("session", "ls")).Out);
    }

    [Fact]
    public async Task SessionGet_UnknownId_PrintsStatusAndDetailAndExitsOne()
    {
        var run = await Run("session", "get", "ses-000000000000");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("error: NotFound: session 'ses-000000000000' not found", run.Error.Trim());
        Assert.Empty(run.Out);
    }

    [Fact]
    public async Task JobSubmit_IntoPendingSession_IsQueuedListedAndLogged()
    {
        var session = await CreateSessionAsync();

        var submitted = await Run("job", "submit", "--session", session, "--model", "mlp", "--synthetic", "100", "--name", "first", "-o", "json");
        var jobId = JsonDocument.Parse(submitted.Out).RootElement.GetProperty("id").GetString()!;
        var listed = await Run("job", "ls", "--session", session);
        var logs = await Run("job", "logs", jobId);

        Assert.Equal(0, submitted.ExitCode);
        Assert.Equal(2, listed.OutLines.Count);
        Assert.Matches($"^{jobId}  {session}  QUEUED +mlp +synthetic 100 ", listed.OutLines[1]);
        Assert.Matches(@"^#1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z state QUEUED", logs.OutLines[0]);
    }

    [Fact]
    public async Task JobCancel_ThenFollowLogs_EndsWithCancelledState()
    {
        var session = await CreateSessionAsync();
        var submitted = await Run("job", "submit", "--session", session, "--model", "cnn", "--synthetic", "100", "-o", "json");
        var jobId = JsonDocument.Parse(submitted.Out).RootElement.GetProperty("id").GetString()!;

        var cancelled = await Run("job", "cancel", jobId);
        var logs = await Run("job", "logs", jobId, "--follow", "-o", "json");

        Assert.Equal(0, cancelled.ExitCode);
        Assert.Contains("CANCELLED", cancelled.Out);
        var last = JsonDocument.Parse(logs.OutLines[^1]).RootElement;
        Assert.Equal("JOB_STATE_CANCELLED", last.GetProperty("stateChanged").GetProperty("state").GetString());
    }

    [Fact]
    public async Task JobLogs_AfterNewestEvent_PrintsNothing()
    {
        var session = await CreateSessionAsync();
        var submitted = await Run("job", "submit", "--session", session, "--model", "cnn", "--synthetic", "100", "-o", "json");
        var job = JsonDocument.Parse(submitted.Out).RootElement;

        var logs = await Run("job", "logs", job.GetProperty("id").GetString()!, "--after", job.GetProperty("lastEventSequence").GetString()!);

        Assert.Equal(0, logs.ExitCode);
        Assert.Empty(logs.Out);
    }

    [Fact]
    public async Task AgentLs_NoAgents_SaysHowToStartOne()
    {
        var run = await Run("agent", "ls");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("no agents; start one with 'gridtrain agent run'", run.Out.Trim());
    }

    private async Task<string> CreateSessionAsync()
    {
        var run = await Run("session", "create", "-o", "json");
        Assert.Equal(0, run.ExitCode);
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }

    private Task<CliRun> Run(params string[] args) => _cli.RunAsync([.. args, "--controller", controller.Address]);
}
