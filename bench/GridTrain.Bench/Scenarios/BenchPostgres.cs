using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// A throwaway PostgreSQL server from Debian's package for a benchmark: a temp directory, a free loopback port and
/// production durability (fsync and synchronous commit on, the defaults). initdb and postgres refuse to run as root, so
/// as root they run as the package's <c>postgres</c> user.
/// </summary>
internal sealed class BenchPostgres : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private BenchPostgres(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=gridtrain;Database=postgres;Pooling=true";
    }

    public string ConnectionString { get; }

    public string DataDirectory => Path.Combine(_directory, "data");

    public static async Task<BenchPostgres> StartAsync()
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending().FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed: apt-get install -y postgresql");
        var directory = Directory.CreateTempSubdirectory("gridtrain-bench-pg-").FullName;
        var server = new BenchPostgres(bin, directory, FreePort());
        var port = new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString).Port;
        await server.RunAsync("initdb", "-D", server.DataDirectory, "-A", "trust", "-U", "gridtrain");
        await server.RunAsync("pg_ctl", "-D", server.DataDirectory, "-o", $"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200", "-l", Path.Combine(directory, "log"), "-w", "start");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "stop");
        Directory.Delete(_directory, recursive: true);
    }

    private async Task RunAsync(string program, params string[] args)
    {
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            using var chown = Process.Start("chown", ["-R", "postgres", _directory]);
            await chown.WaitForExitAsync();
        }

        var startInfo = new ProcessStartInfo(asRoot ? "runuser" : Path.Combine(_bin, program)) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asRoot)
        {
            foreach (var arg in new[] { "-u", "postgres", "--", Path.Combine(_bin, program) })
            {
                startInfo.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} failed ({process.ExitCode}): {await output}{await errors}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
