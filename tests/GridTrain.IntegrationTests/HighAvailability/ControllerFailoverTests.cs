using System.Diagnostics;
using System.Net;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;
using Npgsql;
using Xunit.Abstractions;

namespace GridTrain.IntegrationTests.HighAvailability;

/// <summary>
/// Replicated controllers on a real PostgreSQL, as real processes on loopback: the leader dies (SIGKILL) or freezes
/// (SIGSTOP) while a job trains; a standby takes over, the job trains on, a paused leader commits nothing.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class ControllerFailoverTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>, IAsyncLifetime
{
    /// <summary>The bound from the leader's death to a standby serving; the lease is 6 s.</summary>
    private static readonly TimeSpan s_failoverBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_start = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-ha-").FullName;
    private readonly List<IAsyncDisposable> _cleanup = [];
    private readonly List<ReplicaProcess> _replicas = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            output.WriteLine($"--- replica {replica.Name}:\n{replica.Output()}");
        }

        foreach (var item in Enumerable.Reverse(_cleanup))
        {
            if (item is AgentProcess agent)
            {
                output.WriteLine($"--- agent {agent.Name}:\n{agent.Output()}");
            }

            await item.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task LeaderKilled_StandbyLeadsWithin10s_JobTrainsOnInTheSameAttempt_CliCallDuringFailoverSucceeds()
    {
        var database = await CreateDatabaseAsync();
        var leader = await ReplicaAsync("a", database);
        await leader.WaitForLineAsync("leading as term", s_start);
        var standby = await ReplicaAsync("b", database);
        await standby.WaitForLineAsync("Standing by: the leader is at", s_start);
        using var client = new GridTrainClient(leader.Address, new GridTrainClientOptions { OtherControllers = [standby.Address] });
        _cleanup.Add(new Disposing(client));
        var agent = AgentProcess.Start(leader.Address, "agent-ha", Path.Combine(_root, "agent-ha"), otherControllers: [standby.Address]);
        _cleanup.Add(agent);
        await agent.WaitForLineAsync("registered as", GridEvents.Timeout);

        // The standby names the leader, and only the leader is ready.
        await AssertStandbyNamesLeaderAsync(standby, leader.Address);
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(leader.Metrics, "/readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(new Uri(standby.Metrics, "/readyz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(standby.Metrics, "/livez"))).StatusCode);

        var job = await client.Jobs.SubmitJobAsync(GridEvents.Batch(GridEvents.RecoveryJob()));
        var other = await client.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = "kept" });
        await client.UntilAsync(job.Id, e => e.KindCase == JobEvent.KindOneofCase.Checkpoint);
        var before = await SnapshotAsync(client);

        await leader.KillAsync();
        var failover = Stopwatch.StartNew();
        var cli = RunCliAsync("session", "list", "--controller", $"{leader.Address},{standby.Address}", "-o", "json");
        await standby.WaitForLineAsync("leading as term", s_failoverBound + TimeSpan.FromSeconds(20));
        var serving = failover.Elapsed;
        await client.Fleet.ListAgentsAsync(new ListAgentsRequest());
        var answering = failover.Elapsed;
        output.WriteLine($"failover: the standby served {serving.TotalSeconds:F2}s after the kill, answered a call after {answering.TotalSeconds:F2}s");
        Assert.True(serving <= s_failoverBound, $"the standby took {serving.TotalSeconds:F1}s to lead (bound {s_failoverBound.TotalSeconds}s)");

        var (exitCode, cliOut, cliError) = await cli;
        Assert.True(exitCode == 0, $"the CLI call made during the failover failed ({exitCode}): {cliError}");
        Assert.Contains(job.SessionId, cliOut, StringComparison.Ordinal);
        Assert.Contains(other.Id, cliOut, StringComparison.Ordinal);

        var after = await SnapshotAsync(client);
        Assert.Empty(before.Except(after));
        var finished = await client.FinishedAsync(job.Id);
        Assert.True(finished.State == JobState.Succeeded, $"job ended {finished.State}: {finished.Result?.Reason}");
        Assert.Equal(1, finished.Attempt);
        Assert.Equal(900, finished.Result!.Steps);
        var events = await client.UntilAsync(job.Id, e => e.Sequence == finished.LastEventSequence);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
    }

    [Fact]
    public async Task LeaderPausedPastItsLease_CommitsNothing_AndStepsDown()
    {
        var database = await CreateDatabaseAsync();
        var leader = await ReplicaAsync("a", database, leaderLease: "2s");
        await leader.WaitForLineAsync("leading as term 1", s_start);
        var standby = await ReplicaAsync("b", database, leaderLease: "2s");
        await standby.WaitForLineAsync("Standing by: the leader is at", s_start);
        using var paused = new GridTrainClient(leader.Address);
        _cleanup.Add(new Disposing(paused));
        await paused.Fleet.ListAgentsAsync(new ListAgentsRequest());

        await leader.PauseAsync();
        await standby.WaitForLineAsync("leading as term 2", s_start);
        // Sent to the frozen leader: it is read only once the process runs again, long after its lease expired.
        var write = paused.Sessions.CreateSessionAsync(new CreateSessionRequest { Resources = new ResourceRequest { Runtime = Runtime.Cpu }, DisplayName = "from-the-paused-leader" }).ResponseAsync;
        await leader.ResumeAsync();

        var refused = await Assert.ThrowsAsync<RpcException>(() => write);
        Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
        Assert.Equal(1, await leader.WaitForExitAsync(s_start));
        await leader.WaitForLineAsync("lost leadership", s_start);
        using var successor = new GridTrainClient(standby.Address);
        var sessions = await successor.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true });
        Assert.DoesNotContain(sessions.Sessions, s => s.DisplayName == "from-the-paused-leader");
    }

    [Fact]
    public async Task Standby_AnswersUnavailable_NamingTheLeader()
    {
        var database = await CreateDatabaseAsync();
        var leader = await ReplicaAsync("a", database);
        await leader.WaitForLineAsync("leading as term", s_start);
        var standby = await ReplicaAsync("b", database);
        await standby.WaitForLineAsync("Standing by: the leader is at", s_start);
        await AssertStandbyNamesLeaderAsync(standby, leader.Address);

        using var http = new HttpClient();
        using var json = await http.GetAsync(new Uri(standby.Web, "/v1/sessions"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, json.StatusCode);
        Assert.Equal(leader.Address.ToString().TrimEnd('/'), Assert.Single(json.Headers.GetValues(LeaderFollowingInvoker.LeaderMetadataKey)));
        Assert.Contains($"the leader is at {leader.Address.ToString().TrimEnd('/')}", await json.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var following = new GridTrainClient(standby.Address);
        await following.Fleet.ListAgentsAsync(new ListAgentsRequest());
        Assert.Equal(leader.Address, following.CurrentAddress);
    }

    private static async Task AssertStandbyNamesLeaderAsync(ReplicaProcess standby, Uri leader)
    {
        using var direct = new GridTrainClient(standby.Address, new GridTrainClientOptions { FailoverTimeout = TimeSpan.Zero });
        var answer = await Assert.ThrowsAsync<RpcException>(() => direct.Fleet.ListAgentsAsync(new ListAgentsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, answer.StatusCode);
        var named = leader.ToString().TrimEnd('/');
        Assert.Contains(named, answer.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(named, answer.Trailers.GetValue(LeaderFollowingInvoker.LeaderMetadataKey));
    }

    private static async Task<HashSet<string>> SnapshotAsync(GridTrainClient client)
    {
        var sessions = await client.Sessions.ListSessionsAsync(new ListSessionsRequest { IncludeEnded = true });
        var jobs = await client.Jobs.ListJobsAsync(new ListJobsRequest());
        var agents = await client.Fleet.ListAgentsAsync(new ListAgentsRequest());
        return [.. sessions.Sessions.Select(s => "session " + s.Id), .. jobs.Jobs.Select(j => "job " + j.Id), .. agents.Agents.Select(a => "agent " + a.Id)];
    }

    private async Task<ReplicaProcess> ReplicaAsync(string name, string database, string leaderLease = "6s")
    {
        // Agents get a full agent timeout after the failover to reconnect: generous, for loaded machines.
        var replica = await ReplicaProcess.StartAsync(name, Path.Combine(_root, name), database, leaderLease, agentTimeout: "6s");
        _replicas.Add(replica);
        _cleanup.Add(replica);
        return replica;
    }

    /// <summary>A fresh database per test, so that no lease or state carries over.</summary>
    private async Task<string> CreateDatabaseAsync()
    {
        var name = "ha_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunCliAsync(params string[] args)
    {
        var startInfo = new ProcessStartInfo(Dotnet.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gridtrain.dll"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private sealed class Disposing(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
