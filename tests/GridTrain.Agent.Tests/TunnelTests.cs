using System.Security.Cryptography;
using System.Text;
using GridTrain.Agent.Tests.Fakes;
using GridTrain.Domain;
using GridTrain.Domain.AgentProtocol;

namespace GridTrain.Agent.Tests;

/// <summary>
/// The agent's side of exec and files: tunnels for held leases only, a command's output and exit, a cancel that stops
/// the process group on the driven clock, uploads that are all or nothing, and workspaces that live as long as leases.
/// </summary>
public sealed class TunnelTests
{
    [Fact]
    public async Task Exec_OutputAndExitCode_ReachTheTunnel_InTheWorkspace()
    {
        await using var harness = await HoldingAsync("ses-1", epoch: 3);

        var tunnel = await OpenAsync(harness, new OpenTunnel("tun-1", "ses-1", 3, new ExecRequest(["sh", "-c", "pwd; echo oops >&2; exit 4"], false, null)));
        var frames = await ReadAllAsync(tunnel);

        Assert.Equal(Path.Combine(harness.WorkDirectory, "sessions", "ses-1", "workspace") + "\n", Text(frames, stderr: false));
        Assert.Equal("oops\n", Text(frames, stderr: true));
        Assert.Equal(new ExecExited(4, 0, false), frames[^1]);
    }

    [Fact]
    public async Task Tunnel_ForALeaseNotHeld_IsRefusedNamingIt()
    {
        await using var harness = await HoldingAsync("ses-1", epoch: 3);

        var tunnel = await OpenAsync(harness, new OpenTunnel("tun-1", "ses-1", 2, new ExecRequest(["true"], false, null)));
        var frames = await ReadAllAsync(tunnel);

        var failed = Assert.IsType<TunnelFailed>(Assert.Single(frames));
        Assert.Equal(GridError.FailedPrecondition, failed.Error);
        Assert.Contains("does not hold session ses-1 under lease 2", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_ControllerEndsTheTunnel_StopsTheGroup_KillingAfterTheGrace()
    {
        await using var harness = await HoldingAsync("ses-1", epoch: 1);
        var tunnel = await OpenAsync(harness, new OpenTunnel("tun-1", "ses-1", 1, new ExecRequest(["sh", "-c", "trap '' TERM; echo ready; exec sleep 1000"], false, null)));
        Assert.Equal("ready\n", Encoding.UTF8.GetString(Assert.IsType<OutputData>(await tunnel.Output.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout)).Data.Span));

        tunnel.Input.Writer.Complete();

        await AdvanceUntilAsync(harness, tunnel.Output.Reader.Completion, AgentHarness.StopGrace);
        Assert.False(tunnel.Completed.IsCompleted, "nobody to send an exit to");
    }

    [Fact]
    public async Task Upload_VerifiedFile_IsCommitted_ADamagedOne_LeavesNothing()
    {
        await using var harness = await HoldingAsync("ses-1", epoch: 1);
        var data = RandomNumberGenerator.GetBytes(300_000);

        var good = await UploadAsync(harness, "tun-1", "data.bin", data, SHA256.HashData(data));
        var bad = await UploadAsync(harness, "tun-2", "other.bin", data, new byte[32]);

        Assert.Equal(new UploadCompleted("data.bin", 1, data.Length), Assert.Single(good));
        Assert.Equal(GridError.DataLoss, Assert.IsType<TunnelFailed>(Assert.Single(bad)).Error);
        var workspace = Path.Combine(harness.WorkDirectory, "sessions", "ses-1", "workspace");
        Assert.Equal(data, await File.ReadAllBytesAsync(Path.Combine(workspace, "data.bin")));
        Assert.Equal(["data.bin"], Directory.EnumerateFileSystemEntries(workspace).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Upload_OverTheWorkspaceLimit_IsRefusedNamingTheLimit()
    {
        await using var harness = await HoldingAsync("ses-1", epoch: 1);

        var tunnel = await OpenAsync(harness, new OpenTunnel("tun-1", "ses-1", 1, new UploadRequest("", "huge.bin", 64L << 30)));
        var failed = Assert.IsType<TunnelFailed>(Assert.Single(await ReadAllAsync(tunnel)));

        Assert.Equal(GridError.ResourceExhausted, failed.Error);
        Assert.Contains("--workspace-limit", failed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Workspace_DeletedOnRelease_AndOrphansAfterTheCatchUp_HeldOnesKept()
    {
        await using var harness = await HoldingAsync("ses-1", epoch: 1);
        var orphan = Directory.CreateDirectory(Path.Combine(harness.WorkDirectory, "sessions", "ses-gone", "workspace")).FullName;
        await harness.SendAsync(new AssignSession("ses-2", 1, []));
        var released = Path.Combine(harness.WorkDirectory, "sessions", "ses-2", "workspace");
        await harness.HeartbeatAsync(h => h.Sessions.Any(s => s.SessionId == "ses-2"));
        Assert.True(Directory.Exists(released));

        await harness.SendAsync(new ReleaseSession("ses-2", "ended"));
        await harness.SendAsync(new SyncComplete());
        await harness.SendAsync(new AssignSession("ses-3", 1, []));
        await harness.HeartbeatAsync(h => h.Sessions.Any(s => s.SessionId == "ses-3"));

        Assert.False(Directory.Exists(released));
        Assert.False(Directory.Exists(orphan));
        Assert.True(Directory.Exists(Path.Combine(harness.WorkDirectory, "sessions", "ses-1", "workspace")));
    }

    private static async Task<AgentHarness> HoldingAsync(string sessionId, long epoch)
    {
        var harness = new AgentHarness();
        await harness.StartAsync();
        await harness.SendAsync(new AssignSession(sessionId, epoch, []));
        await harness.HeartbeatAsync(h => h.Sessions.Any(s => s.SessionId == sessionId));
        return harness;
    }

    private static async Task<ScriptedTunnel> OpenAsync(AgentHarness harness, OpenTunnel open)
    {
        await harness.SendAsync(open);
        return await harness.Link.Tunnels.Reader.ReadAsync().AsTask().WaitAsync(AgentHarness.Timeout);
    }

    private static async Task<List<TunnelFrame>> UploadAsync(AgentHarness harness, string tunnelId, string name, byte[] data, byte[] sha256)
    {
        var tunnel = await OpenAsync(harness, new OpenTunnel(tunnelId, "ses-1", 1, new UploadRequest("", name, data.Length)));
        await tunnel.Input.Writer.WriteAsync(new FileHeader("", FileEntryType.File, data.Length, 420));
        await tunnel.Input.Writer.WriteAsync(new FileData(data.AsMemory(0, 100_000)));
        await tunnel.Input.Writer.WriteAsync(new FileData(data.AsMemory(100_000)));
        await tunnel.Input.Writer.WriteAsync(new FileEnd(sha256));
        await tunnel.Input.Writer.WriteAsync(new InputEnded());
        return await ReadAllAsync(tunnel);
    }

    /// <summary>What the agent sent, until it completed (or ended) the tunnel; ends the tunnel once it has, as the controller does.</summary>
    private static async Task<List<TunnelFrame>> ReadAllAsync(ScriptedTunnel tunnel)
    {
        var frames = new List<TunnelFrame>();
        await foreach (var frame in tunnel.Output.Reader.ReadAllAsync().WithCancellation(new CancellationTokenSource(AgentHarness.Timeout).Token))
        {
            frames.Add(frame);
        }

        tunnel.Input.Writer.TryComplete();
        return frames;
    }

    private static string Text(IEnumerable<TunnelFrame> frames, bool stderr) =>
        string.Concat(frames.OfType<OutputData>().Where(o => o.Stderr == stderr).Select(o => Encoding.UTF8.GetString(o.Data.Span)));

    /// <summary>
    /// Advances the driven clock by <paramref name="step"/> until <paramref name="done"/> completes: the agent arms its
    /// timer on its own time, and a timer armed after an advance needs the next one.
    /// </summary>
    private static async Task AdvanceUntilAsync(AgentHarness harness, Task done, TimeSpan step)
    {
        using var timeout = new CancellationTokenSource(AgentHarness.Timeout);
        while (!done.IsCompleted)
        {
            timeout.Token.ThrowIfCancellationRequested();
            harness.Time.Advance(step);
            await Task.WhenAny(done, Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, timeout.Token));
        }

        await done;
    }
}
