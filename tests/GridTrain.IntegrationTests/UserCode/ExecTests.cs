using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using GridTrain.Client;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests.UserCode;

/// <summary>
/// <c>session exec</c> end to end: the built CLI (or the .NET client) → a controller → an agent process that connected
/// out → the command, in the session's workspace, and back.
/// </summary>
public sealed class ExecTests(UserCodeGridFixture grid) : IClassFixture<UserCodeGridFixture>
{
    [Fact]
    public async Task Exec_ListingAndExit3_PrintsTheWorkspaceAndTheCliExits3()
    {
        var session = await grid.ReadySessionAsync();
        Assert.Equal(0, (await grid.RunCliAsync(null, "session", "exec", session.Id, "--", "touch", "marker.txt")).ExitCode);

        var run = await grid.RunCliAsync(null, "session", "exec", session.Id, "--", "sh", "-c", "ls -a; echo to-stderr >&2; exit 3");

        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Equal([".", "..", "marker.txt"], run.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("to-stderr", run.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(grid.WorkspaceOf(session.Id), "marker.txt")));
    }

    [Fact]
    public async Task Exec_WithStdin_TheCommandReadsIt()
    {
        var session = await grid.ReadySessionAsync();
        var input = Encoding.UTF8.GetBytes("first line\nsecond line\n");

        var run = await grid.RunCliAsync(input, "session", "exec", session.Id, "-i", "--", "sh", "-c", "wc -l; echo done");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["2", "done"], run.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
    }

    [Fact]
    public async Task Exec_50MiBOfBinaryStdout_ArrivesByteIdentical()
    {
        var session = await grid.ReadySessionAsync();
        var made = await grid.RunCliAsync(null, "session", "exec", session.Id, "--", "sh", "-c", "head -c 52428800 /dev/urandom > blob && sha256sum blob");
        Assert.True(made.ExitCode == 0, made.ToString());
        var expected = made.Text.Split(' ')[0];

        var run = await grid.RunCliAsync(null, "session", "exec", session.Id, "--", "cat", "blob");

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Error}");
        Assert.Equal(50 << 20, run.Output.Length);
        Assert.Equal(expected, Convert.ToHexStringLower(SHA256.HashData(run.Output)));
    }

    [Fact]
    public async Task Exec_Cancelled_KillsTheProcessGroup_AChildIgnoringSigtermAfterTheGrace()
    {
        var session = await grid.ReadySessionAsync();
        using var cancel = new CancellationTokenSource();
        var stdout = new SignalingStream("started");
        var exec = grid.Alice.ExecAsync(
            new ExecStart { SessionId = session.Id, Argv = { "sh", "-c", "sh -c 'trap \"\" TERM; echo $$ > child.pid; exec sleep 1000' & echo $$ > leader.pid; until [ -s child.pid ]; do sleep 0.01; done; echo started; wait" } },
            null,
            stdout,
            Stream.Null,
            cancel.Token);
        await stdout.Seen.WaitAsync(GridEvents.Timeout);
        var child = int.Parse(await File.ReadAllTextAsync(Path.Combine(grid.WorkspaceOf(session.Id), "child.pid")));
        var leader = int.Parse(await File.ReadAllTextAsync(Path.Combine(grid.WorkspaceOf(session.Id), "leader.pid")));
        Assert.True(Alive(child) && Alive(leader));

        await cancel.CancelAsync();
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => exec);

        Assert.True(refused is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled }, refused.ToString());
        await Poll.UntilAsync(_ => Task.FromResult(Alive(leader) || Alive(child) ? null : "gone"), GridEvents.Timeout, () => $"leader {leader} alive: {Alive(leader)}, child {child} alive: {Alive(child)}");
        await grid.Agent.WaitForLineAsync("stopping (client gone)", GridEvents.Timeout);
    }

    [Fact]
    public async Task Exec_Timeout_StopsTheCommand_AndSaysSo()
    {
        var session = await grid.ReadySessionAsync();

        var run = await grid.RunCliAsync(null, "session", "exec", session.Id, "--timeout", "1s", "--", "sleep", "1000");

        Assert.True(run.ExitCode == 128 + 15, run.ToString());
        Assert.Contains("--timeout", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_Environment_HoldsNoneOfTheAgentsSecrets()
    {
        var session = await grid.ReadySessionAsync();

        var run = await grid.RunCliAsync(null, "session", "exec", session.Id, "--", "sh", "-c", "env; echo ---; tr '\\0' '\\n' < /proc/self/environ");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("OMP_NUM_THREADS=", run.Text, StringComparison.Ordinal);
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=void", run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(UserCodeGridFixture.DriveSecret, run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(TestCredentials.JoinToken, run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("GRIDTRAIN_", run.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("GOOGLE_APPLICATION_CREDENTIALS", run.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_BadRequests_AreRefusedNamingWhatIsWrong()
    {
        var session = await grid.ReadySessionAsync();
        var ended = await grid.ReadySessionAsync();
        await grid.Alice.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = ended.Id });

        var empty = await RefusalAsync(grid.Alice, new ExecStart { SessionId = session.Id });
        var onEnded = await RefusalAsync(grid.Alice, new ExecStart { SessionId = ended.Id, Argv = { "true" } });
        var othersSession = await RefusalAsync(grid.Bob, new ExecStart { SessionId = session.Id, Argv = { "true" } });
        var unknown = await RefusalAsync(grid.Bob, new ExecStart { SessionId = "ses-000000000000", Argv = { "true" } });

        Assert.Equal((StatusCode.InvalidArgument, "argv is empty"), (empty.StatusCode, empty.Status.Detail[..13]));
        Assert.Equal(StatusCode.FailedPrecondition, onEnded.StatusCode);
        Assert.Contains($"session {ended.Id} is TERMINATED", onEnded.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.NotFound, othersSession.StatusCode);
        Assert.Equal(unknown.Status.Detail.Replace("ses-000000000000", session.Id, StringComparison.Ordinal), othersSession.Status.Detail);
    }

    [Fact]
    public async Task Workspace_IsGoneOnceTheSessionEnds()
    {
        var session = await grid.ReadySessionAsync();
        Assert.Equal(0, (await grid.RunCliAsync(null, "session", "exec", session.Id, "--", "sh", "-c", "mkdir -p data && echo x > data/file")).ExitCode);
        var workspace = grid.WorkspaceOf(session.Id);
        Assert.True(File.Exists(Path.Combine(workspace, "data", "file")));

        await grid.Alice.Sessions.TerminateSessionAsync(new TerminateSessionRequest { SessionId = session.Id });

        await grid.Agent.WaitForLineAsync($"Deleted the workspace of session {session.Id}", GridEvents.Timeout);
        Assert.False(Directory.Exists(Path.GetDirectoryName(workspace)));
    }

    internal static async Task<RpcException> RefusalAsync(GridTrainClient client, ExecStart start) =>
        await Assert.ThrowsAsync<RpcException>(() => client.ExecAsync(start, null, Stream.Null, Stream.Null));

    /// <summary>Whether the process exists and is not a zombie (a killed process its parent has not reaped yet counts as gone).</summary>
    internal static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
