using GridTrain.Testing.Network;
using System.Globalization;
using System.Security.Cryptography;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// PostgreSQL, the fake Google Drive (in this process), two controller replicas and three agents, all on loopback.
/// Each controller keeps a fixed port across restarts and has a <see cref="BlackholeProxy"/> in front of it; the
/// agents (and the leader the standbys name, through <c>--advertise</c>) use the proxies, the soak's own client the
/// controllers directly. Disposing stops everything it started.
/// </summary>
internal sealed class ChaosCluster : IAsyncDisposable
{
    public const int AgentCount = 3;
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(90);
    private readonly string _root;
    private readonly string _joinToken = "chaos-join-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly int[] _controllerPorts = [PostgresInstance.FreePort(), PostgresInstance.FreePort()];
    private readonly ChildProcess?[] _controllers = new ChildProcess?[2];
    private readonly ChildProcess?[] _agents = new ChildProcess?[AgentCount];
    private readonly List<ChildProcess> _exited = [];
    private readonly Lock _lock = new();
    private PostgresInstance? _postgres;
    private int _generation;
    private string _driveFolder = "";
    private string _driveCredentials = "";

    private ChaosCluster(string root)
    {
        _root = root;
        Proxies = [new BlackholeProxy(PostgresInstance.FreePort(), _controllerPorts[0]), new BlackholeProxy(PostgresInstance.FreePort(), _controllerPorts[1])];
    }

    public string AdminToken { get; } = "chaos-admin-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public FakeDriveServer Drive { get; private set; } = null!;

    public BlackholeProxy[] Proxies { get; }

    public IReadOnlyList<Uri> ControllerAddresses => [.. _controllerPorts.Select(p => new Uri($"http://127.0.0.1:{p}"))];

    public string LogDirectory => Path.Combine(_root, "logs");

    /// <summary>Every controller and agent process started so far, those killed included (for their logs).</summary>
    public IReadOnlyList<ChildProcess> AllProcesses
    {
        get
        {
            lock (_lock)
            {
                return [.. _exited, .. _controllers.OfType<ChildProcess>(), .. _agents.OfType<ChildProcess>()];
            }
        }
    }

    public static async Task<ChaosCluster> StartAsync(string root, CancellationToken cancellationToken)
    {
        var cluster = new ChaosCluster(root);
        try
        {
            Directory.CreateDirectory(cluster.LogDirectory);
            cluster._postgres = await PostgresInstance.StartAsync(cancellationToken);
            cluster.Drive = await FakeDriveServer.StartAsync();
            cluster._driveFolder = cluster.Drive.CreateFolder("gridtrain-checkpoints");
            cluster._driveCredentials = Path.Combine(root, "drive-credentials.json");
            await File.WriteAllTextAsync(cluster._driveCredentials, cluster.Drive.ServiceAccountJson(), cancellationToken);
            await cluster.StartControllerAsync(0, cancellationToken);
            await cluster._controllers[0]!.WaitForLineAsync("leading as term", s_startTimeout, cancellationToken);
            await cluster.StartControllerAsync(1, cancellationToken);
            for (var i = 0; i < AgentCount; i++)
            {
                await cluster.StartAgentAsync(i, cancellationToken);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The replica whose live process leads, if any.</summary>
    public int? LeaderIndex()
    {
        lock (_lock)
        {
            for (var i = 0; i < _controllers.Length; i++)
            {
                if (_controllers[i] is { HasExited: false } c && c.LinesContaining("leading as term").Count > 0)
                {
                    return i;
                }
            }
        }

        return null;
    }

    public bool ControllerRunning(int index) => _controllers[index] is { HasExited: false };

    public bool AgentRunning(int index) => _agents[index] is { HasExited: false };

    public async Task KillControllerAsync(int index) => await _controllers[index]!.KillAsync();

    public async Task KillAgentAsync(int index) => await _agents[index]!.KillAsync();

    /// <summary>Starts replica <paramref name="index"/> (again) on its port and waits until it listens.</summary>
    public async Task StartControllerAsync(int index, CancellationToken cancellationToken)
    {
        var name = $"controller-{(char)('a' + index)}";
        var process = ChildProcess.StartCli(
            name,
            [
                "controller", "run", "--listen", $"127.0.0.1:{_controllerPorts[index]}", "--data-dir", Path.Combine(_root, name),
                "--postgres", _postgres!.ConnectionString, "--advertise", Proxies[index].Address.ToString().TrimEnd('/'),
                "--max-attempts", "5",
            ],
            new Dictionary<string, string>
            {
                ["GRIDTRAIN_ADMIN_TOKEN"] = AdminToken,
                ["GRIDTRAIN_JOIN_TOKEN"] = _joinToken,
                ["GRIDTRAIN_RATE_LIMIT"] = "0",
            },
            NextLog(name));
        Replace(_controllers, index, process);
        await process.WaitForLineAsync("listening on", s_startTimeout, cancellationToken);
    }

    /// <summary>Starts agent <paramref name="index"/> (again, with the same name and work directory) and waits until it registers.</summary>
    public async Task StartAgentAsync(int index, CancellationToken cancellationToken)
    {
        var name = $"agent-{index}";
        var process = ChildProcess.StartCli(
            name,
            [
                "agent", "run", "--controller", string.Join(',', Proxies.Select(p => p.Address.ToString().TrimEnd('/'))),
                "--name", name, "--work-dir", Path.Combine(_root, name), "--cpu-slots", "2", "--threads-per-job", "1",
                "--checkpoint-store", "gdrive", "--drive-root-folder", _driveFolder, "--drive-credentials", _driveCredentials,
                "--drive-endpoint", Drive.Endpoint.ToString(),
            ],
            new Dictionary<string, string> { ["GRIDTRAIN_JOIN_TOKEN"] = _joinToken },
            NextLog(name));
        Replace(_agents, index, process);
        await process.WaitForLineAsync("registered as", s_startTimeout, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in AllProcesses.Reverse())
        {
            await process.DisposeAsync();
        }

        foreach (var proxy in Proxies)
        {
            await proxy.DisposeAsync();
        }

        if (Drive is not null)
        {
            await Drive.DisposeAsync();
        }

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    private void Replace(ChildProcess?[] slots, int index, ChildProcess process)
    {
        lock (_lock)
        {
            if (slots[index] is { } old)
            {
                _exited.Add(old);
            }

            slots[index] = process;
        }
    }

    private string NextLog(string name) =>
        Path.Combine(LogDirectory, string.Create(CultureInfo.InvariantCulture, $"{Interlocked.Increment(ref _generation):D3}-{name}.log"));
}
