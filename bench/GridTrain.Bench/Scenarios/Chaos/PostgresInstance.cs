using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// A throwaway PostgreSQL from Debian's package in a temp directory of its own (the <c>postgres</c> user must reach
/// it), on a free loopback port. initdb and postgres refuse to run as root, so as root they run as that user.
/// </summary>
internal sealed class PostgresInstance : IAsyncDisposable
{
    private readonly string _directory;
    private readonly string _bin;
    private bool _started;

    private PostgresInstance(string directory, string bin)
    {
        _directory = directory;
        _bin = bin;
    }

    public string ConnectionString { get; private set; } = "";

    public static async Task<PostgresInstance> StartAsync(CancellationToken cancellationToken)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending().FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("PostgreSQL is not installed: apt-get install -y postgresql");
        }

        var directory = Directory.CreateTempSubdirectory("gridtrain-chaos-pg-").FullName;
        var instance = new PostgresInstance(directory, bin);
        var port = FreePort();
        try
        {
            await instance.RunAsync("initdb", cancellationToken, "-D", Path.Combine(directory, "data"), "-A", "trust", "-U", "gridtrain", "--no-sync");
            await instance.RunAsync("pg_ctl", cancellationToken, "-D", Path.Combine(directory, "data"), "-o", $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off", "-l", Path.Combine(directory, "log"), "-w", "start");
            instance._started = true;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        instance.ConnectionString = $"Host=127.0.0.1;Port={port};Username=gridtrain;Database=postgres";
        return instance;
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await RunAsync("pg_ctl", CancellationToken.None, "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop");
        }

        Directory.Delete(_directory, recursive: true);
    }

    private async Task RunAsync(string program, CancellationToken cancellationToken, params string[] args)
    {
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            using var chown = Process.Start("chown", ["-R", "postgres", _directory]);
            await chown.WaitForExitAsync(cancellationToken);
        }

        var path = Path.Combine(_bin, program);
        var startInfo = new ProcessStartInfo(asRoot ? "runuser" : path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (asRoot ? ["-u", "postgres", "--", path] : Array.Empty<string>()).Concat(args))
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {await output}{await errors}");
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
