using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// The control-plane benchmark's users in a child process of their own (<c>controlplane-users</c>, not for direct use),
/// as remote users would be: their client calls allocate in their own process, not in the controller's, whose every
/// collection pauses every agent's heartbeat. Before, they ran in the controller's process and made a sixth of what it
/// allocated during a placement burst. The child reports when each session's call started by
/// <see cref="Stopwatch.GetTimestamp"/>, which every process on the machine reads from the same monotonic clock.
/// </summary>
internal sealed class UsersProcess : IAsyncDisposable
{
    private readonly Process _process;

    private UsersProcess(Process process) => _process = process;

    public static async Task<UsersProcess> StartAsync(Uri address, IReadOnlyList<string> userTokens)
    {
        // The tokens go over stdin, not the command line, where any local user could read them.
        var process = BenchChild.Start(["controlplane-users"]);
        await process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(new { address = address.ToString(), tokens = userTokens }));
        await process.StandardInput.FlushAsync();
        return new UsersProcess(process);
    }

    /// <summary>Creates up to <paramref name="sessions"/> sessions (see <see cref="SessionBurst.RunAsync"/>) within <paramref name="limit"/>.</summary>
    public async Task<SessionBurst.Result> RunAsync(int sessions, TimeSpan limit, CancellationToken abort)
    {
        using var reply = await AskAsync(new { op = "create", sessions, seconds = limit.TotalSeconds }, abort);
        var created = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var createdBy = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        foreach (var session in reply.RootElement.GetProperty("created").EnumerateArray())
        {
            var id = session[0].GetString()!;
            created[id] = session[1].GetInt64();
            createdBy[id] = session[2].GetInt32();
        }

        return new SessionBurst.Result(created, createdBy, reply.RootElement.GetProperty("rate_limited").GetInt32(), reply.RootElement.GetProperty("create_errors").GetInt32());
    }

    /// <summary>Each user terminates the sessions it created in the last <see cref="RunAsync"/>.</summary>
    public async Task TerminateAsync(CancellationToken abort) => (await AskAsync(new { op = "terminate" }, abort)).Dispose();

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    /// <summary>The child's side: serves create and terminate requests, one JSON line each, until stdin closes.</summary>
    public static async Task<int> ServeAsync()
    {
        using var setup = JsonDocument.Parse(await Console.In.ReadLineAsync() ?? throw new InvalidOperationException("controlplane-users: no setup line on stdin"));
        var tokens = setup.RootElement.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
        using var users = new SessionBurst(new Uri(setup.RootElement.GetProperty("address").GetString()!), tokens);
        SessionBurst.Result? last = null;
        while (await Console.In.ReadLineAsync() is { } line)
        {
            using var request = JsonDocument.Parse(line);
            switch (request.RootElement.GetProperty("op").GetString())
            {
                case "create":
                    using (var end = new CancellationTokenSource(TimeSpan.FromSeconds(request.RootElement.GetProperty("seconds").GetDouble())))
                    {
                        var result = await users.RunAsync(request.RootElement.GetProperty("sessions").GetInt32(), end.Token);
                        last = result;
                        Console.WriteLine(JsonSerializer.Serialize(new
                        {
                            created = result.Created.Select(c => new object[] { c.Key, c.Value, result.CreatedBy[c.Key] }),
                            rate_limited = result.RateLimited,
                            create_errors = result.CreateErrors,
                        }));
                    }

                    break;
                case "terminate":
                    if (last is not null)
                    {
                        await users.TerminateAsync(last, CancellationToken.None);
                    }

                    Console.WriteLine("{}");
                    break;
                default:
                    throw new InvalidOperationException($"controlplane-users: unknown op in {line}");
            }
        }

        return 0;
    }

    private async Task<JsonDocument> AskAsync(object request, CancellationToken abort)
    {
        await _process.StandardInput.WriteLineAsync(JsonSerializer.Serialize(request).AsMemory(), abort);
        await _process.StandardInput.FlushAsync(abort);
        var line = await _process.StandardOutput.ReadLineAsync(abort) ?? throw new InvalidOperationException("the users' process exited");
        return JsonDocument.Parse(line);
    }
}
