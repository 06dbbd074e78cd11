using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace GridTrain.IntegrationTests.Infrastructure;

/// <summary>
/// A throwaway PostgreSQL server from Debian's package, in a temp directory on a free loopback port.
/// initdb and postgres refuse to run as root, so as root they run as the package's <c>postgres</c> user.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private string _directory = "";

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending().FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("PostgreSQL is not installed: apt-get install -y postgresql (.ci/run does this)");
        _directory = Directory.CreateTempSubdirectory("gridtrain-pg-").FullName;
        var port = FreePort();
        await RunAsync(Path.Combine(bin, "initdb"), "-D", Path.Combine(_directory, "data"), "-A", "trust", "-U", "gridtrain", "--no-sync");
        await RunAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-o", $"-p {port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off", "-l", Path.Combine(_directory, "log"), "-w", "start");
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=gridtrain;Database=postgres;Pooling=true";
    }

    public async Task DisposeAsync()
    {
        var bin = Directory.EnumerateDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).OrderDescending().First();
        await RunAsync(Path.Combine(bin, "pg_ctl"), "-D", Path.Combine(_directory, "data"), "-m", "immediate", "-w", "stop");
        Directory.Delete(_directory, recursive: true);
    }

    private async Task RunAsync(string program, params string[] args)
    {
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await Chown(_directory);
        }

        var startInfo = new ProcessStartInfo(asRoot ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asRoot)
        {
            foreach (var arg in new[] { "-u", "postgres", "--", program })
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
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await output}{await errors}");
        }
    }

    private static async Task Chown(string directory)
    {
        using var process = Process.Start("chown", ["-R", "postgres", directory]);
        await process.WaitForExitAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
