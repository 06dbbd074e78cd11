using GridTrain.Testing.Network;
using GridTrain.Protos.V1;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// Injects one fault at a time, at seeded random intervals: SIGKILL of an agent (restarted a few seconds later), of
/// the leading controller (restarted once the standby answers; the time until then is a failover), of a job process;
/// a network cut (hold or drop) of the leader's proxy, healed after a while; a burst of Drive errors. Between faults
/// it restarts whatever exited on its own (a deposed replica exits for its supervisor to restart it).
/// </summary>
internal sealed class FaultInjector(ChaosCluster cluster, GridCaller caller, JobProcessSampler sampler, Random random, TimeProvider time)
{
    private static readonly FakeDriveFault[] s_driveFaults = Enum.GetValues<FakeDriveFault>().Where(f => f != FakeDriveFault.StorageQuotaExceeded).ToArray();
    private static readonly FakeDriveTarget[] s_driveTargets = Enum.GetValues<FakeDriveTarget>();
    private static readonly string[] s_kinds = ["agent_kill", "leader_kill", "job_kill", "network_cut", "drive_fault"];
    private readonly List<double> _failovers = [];
    private readonly List<string> _restartFailures = [];
    private Queue<string>? _firstRound;
    private readonly Dictionary<string, int> _counts = [];
    private long _networkChanged = time.GetTimestamp();

    public IReadOnlyList<double> FailoverSeconds => _failovers;

    /// <summary>Controllers or agents that were restarted but did not come back in time.</summary>
    public IReadOnlyList<string> RestartFailures => _restartFailures;

    public IReadOnlyDictionary<string, int> Counts => _counts;

    public int Total => _counts.Values.Sum();

    public TimeSpan SinceNetworkChange => time.GetElapsedTime(Interlocked.Read(ref _networkChanged));

    /// <summary>Injects faults until <paramref name="faultsEnd"/> is cancelled, then heals everything and restarts what is down.</summary>
    public async Task RunAsync(CancellationToken faultsEnd, CancellationToken aborted)
    {
        try
        {
            while (!faultsEnd.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(4000, 12000)), time, faultsEnd);
                await GuardAsync(() => SuperviseAsync(aborted));
                await GuardAsync(() => InjectAsync(aborted));
            }
        }
        catch (OperationCanceledException) when (faultsEnd.IsCancellationRequested && !aborted.IsCancellationRequested)
        {
            // The fault phase is over.
        }

        Heal();
        cluster.Drive.ClearFaults();
        await GuardAsync(() => SuperviseAsync(aborted));
    }

    /// <summary>A controller or agent that did not come back (no 'listening on' or 'registered as' in time) is recorded; the soak goes on.</summary>
    private async Task GuardAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            Console.WriteLine($"chaos: a restart failed: {ex.Message}");
            _restartFailures.Add(ex.Message);
        }
    }

    private async Task InjectAsync(CancellationToken cancellationToken)
    {
        // Every kind once first (in a seeded order), so that even a short soak covers them all; then at random.
        _firstRound ??= new Queue<string>(s_kinds.OrderBy(_ => random.Next()));
        var planned = _firstRound.TryDequeue(out var next);
        var fault = planned ? next! : random.Next(100) switch
        {
            < 25 => "agent_kill",
            < 40 => "leader_kill",
            < 60 => "job_kill",
            < 80 => "network_cut",
            _ => "drive_fault",
        };
        var done = fault switch
        {
            "agent_kill" => await KillAgentAsync(cancellationToken),
            "leader_kill" => await KillLeaderAsync(cancellationToken),
            "job_kill" => await KillJobProcessAsync(),
            "network_cut" => await CutAsync(cancellationToken),
            _ => InjectDriveFault(),
        };
        if (done)
        {
            _counts[fault] = _counts.GetValueOrDefault(fault) + 1;
        }
        else if (planned)
        {
            // Not possible right now (no job process, no standby): try this kind again next time.
            _firstRound.Enqueue(fault);
        }
    }

    private async Task<bool> KillAgentAsync(CancellationToken cancellationToken)
    {
        var index = random.Next(ChaosCluster.AgentCount);
        if (!cluster.AgentRunning(index))
        {
            return false;
        }

        await cluster.KillAgentAsync(index);
        var down = TimeSpan.FromMilliseconds(random.Next(2000, 10000));
        Console.WriteLine($"chaos: fault: SIGKILL agent-{index}, restarting it in {down.TotalSeconds:F0}s");
        await Task.Delay(down, time, cancellationToken);
        await cluster.StartAgentAsync(index, cancellationToken);
        return true;
    }

    private async Task<bool> KillLeaderAsync(CancellationToken cancellationToken)
    {
        if (cluster.LeaderIndex() is not { } leader || !cluster.ControllerRunning(1 - leader))
        {
            return false;
        }

        await cluster.KillControllerAsync(leader);
        Console.WriteLine($"chaos: fault: SIGKILL the leader controller-{(char)('a' + leader)}");
        var failover = await ProbeAsync(1 - leader, cancellationToken);
        _failovers.Add(failover?.TotalSeconds ?? 999);
        Console.WriteLine(failover is { } f
            ? $"chaos: failover: controller-{(char)('b' - leader)} answered {f.TotalSeconds:F2}s after the kill"
            : $"chaos: failover: no answer from controller-{(char)('b' - leader)} within 90s of the kill");
        await cluster.StartControllerAsync(leader, cancellationToken);
        return true;
    }

    /// <summary>Calls replica <paramref name="index"/> until it answers (it leads); the time from now, or null after 90 s.</summary>
    private async Task<TimeSpan?> ProbeAsync(int index, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (time.GetElapsedTime(started) < TimeSpan.FromSeconds(90))
        {
            try
            {
                await caller.OnceAsync(index, "ListAgents (failover probe)", cluster.AdminToken, (invoker, options) => new FleetService.FleetServiceClient(invoker).ListAgentsAsync(new ListAgentsRequest(), options).ResponseAsync, cancellationToken);
                return time.GetElapsedTime(started);
            }
            catch (Grpc.Core.RpcException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), time, cancellationToken);
            }
        }

        return null;
    }

    private Task<bool> KillJobProcessAsync()
    {
        var live = sampler.Latest;
        if (live.Count == 0)
        {
            return Task.FromResult(false);
        }

        var victim = live[random.Next(live.Count)];
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(victim.Pid);
            process.Kill(entireProcessTree: false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return Task.FromResult(false);
        }

        Console.WriteLine($"chaos: fault: SIGKILL job {victim.JobId} attempt {victim.Attempt} (pid {victim.Pid} on {victim.Agent})");
        return Task.FromResult(true);
    }

    private async Task<bool> CutAsync(CancellationToken cancellationToken)
    {
        var index = cluster.LeaderIndex() ?? random.Next(2);
        var mode = random.Next(2) == 0 ? CutMode.Hold : CutMode.Drop;
        var length = TimeSpan.FromMilliseconds(random.Next(3000, 15000));
        Console.WriteLine($"chaos: fault: network cut ({mode}) between the agents and controller-{(char)('a' + index)} for {length.TotalSeconds:F0}s");
        Interlocked.Exchange(ref _networkChanged, time.GetTimestamp());
        cluster.Proxies[index].Cut(mode);
        try
        {
            await Task.Delay(length, time, cancellationToken);
        }
        finally
        {
            Heal();
        }

        return true;
    }

    private void Heal()
    {
        foreach (var proxy in cluster.Proxies.Where(p => p.IsCut))
        {
            proxy.Heal();
            Interlocked.Exchange(ref _networkChanged, time.GetTimestamp());
        }
    }

    private bool InjectDriveFault()
    {
        var fault = s_driveFaults[random.Next(s_driveFaults.Length)];
        var target = s_driveTargets[random.Next(s_driveTargets.Length)];
        var count = random.Next(1, 4);
        Console.WriteLine($"chaos: fault: Drive answers the next {count} {target} requests with {fault}");
        cluster.Drive.Inject(fault, target, count);
        return true;
    }

    private async Task SuperviseAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < 2; i++)
        {
            if (!cluster.ControllerRunning(i))
            {
                Console.WriteLine($"chaos: controller-{(char)('a' + i)} had exited; restarting it");
                await cluster.StartControllerAsync(i, cancellationToken);
            }
        }

        for (var i = 0; i < ChaosCluster.AgentCount; i++)
        {
            if (!cluster.AgentRunning(i))
            {
                Console.WriteLine($"chaos: agent-{i} had exited; restarting it");
                await cluster.StartAgentAsync(i, cancellationToken);
            }
        }
    }
}
