using System.Diagnostics;
using System.Text.Json;
using GridTrain.Testing.FakeDrive;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The fake Google Drive in a process of its own (<c>GridTrain.Bench fakedrive</c>) on loopback, so that what a
/// benchmark times in its process does not share a heap, a garbage collector or a thread pool with the fake. The
/// child announces its endpoint and credentials as one JSON line on stdout and serves until its stdin closes; it is
/// killed on dispose.
/// </summary>
internal sealed class FakeDriveProcess : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly Process _process;

    private FakeDriveProcess(Process process, Announcement announcement)
    {
        _process = process;
        Endpoint = announcement.Endpoint;
        RootFolderId = announcement.RootFolderId;
        CredentialsJson = announcement.CredentialsJson;
    }

    /// <summary>The fake's API base address (<c>http://127.0.0.1:PORT/</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>A folder the fake created for the benchmark.</summary>
    public string RootFolderId { get; }

    /// <summary>An <c>authorized_user</c> credentials JSON the fake's token endpoint accepts.</summary>
    public string CredentialsJson { get; }

    /// <summary>The fake process's resident memory, in bytes.</summary>
    public long ResidentBytes
    {
        get
        {
            _process.Refresh();
            return _process.WorkingSet64;
        }
    }

    /// <summary>Starts <c>dotnet exec GridTrain.Bench.dll fakedrive</c> and waits (at most a minute) for its announcement.</summary>
    public static async Task<FakeDriveProcess> StartAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(DotnetHost()) { RedirectStandardInput = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "exec", typeof(FakeDriveProcess).Assembly.Location, "fakedrive" })
        {
            startInfo.ArgumentList.Add(arg);
        }

        var process = Process.Start(startInfo)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(1), cancellationToken)
                ?? throw new InvalidOperationException($"the fake Drive process exited (code {process.ExitCode}) before announcing its endpoint");
            var announcement = JsonSerializer.Deserialize<Announcement>(line, s_json)
                ?? throw new InvalidOperationException($"the fake Drive process announced '{line}'");
            return new FakeDriveProcess(process, announcement);
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>The child's side: serves a fake Drive with one folder, announces it on stdout, and serves until stdin closes.</summary>
    public static async Task<int> ServeAsync()
    {
        await using var drive = await FakeDriveServer.StartAsync();
        var announcement = new Announcement(drive.Endpoint, drive.CreateFolder("bench"), drive.AuthorizedUserJson());
        Console.WriteLine(JsonSerializer.Serialize(announcement, s_json));
        await Console.In.ReadToEndAsync();
        return 0;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    private sealed record Announcement(Uri Endpoint, string RootFolderId, string CredentialsJson);
}
