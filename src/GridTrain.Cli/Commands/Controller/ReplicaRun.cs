using GridTrain.Cli.Errors;
using GridTrain.Controller.Leadership;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Commands.Controller;

/// <summary>
/// <c>controller run --postgres</c>: one of several replicas. Prints <c>listening on URL</c> as a standby, then
/// <c>leading as term N</c> once elected; exits 1 ("lost leadership") when deposed, for its supervisor to restart it
/// as a standby.
/// </summary>
internal static class ReplicaRun
{
    public static async Task<int> RunAsync(CliContext context, ControllerReplicaSettings settings, CancellationToken cancellationToken)
    {
        ControllerReplica replica;
        try
        {
            replica = await ControllerReplica.StartAsync(settings, cancellationToken);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or ArgumentException or InvalidOperationException)
        {
            throw new CliException($"cannot open the leader lease in PostgreSQL: {ex.Message}");
        }
        catch (IOException ex)
        {
            throw new CliException($"cannot listen on {settings.Listen}: {ex.Message}");
        }

        await using var scope = replica;
        await context.Out.WriteLineAsync($"listening on {replica.Address.ToString().TrimEnd('/')}");
        if (replica.MetricsAddress is { } metrics)
        {
            await context.Out.WriteLineAsync($"metrics on {metrics.ToString().TrimEnd('/')}/metrics");
        }

        if (replica.WebAddress is { } web)
        {
            await context.Out.WriteLineAsync($"web console on {web}");
        }

        await context.Out.FlushAsync(cancellationToken);
        await context.Error.WriteLineAsync($"standby replica {settings.Lease.Holder} advertising {replica.AdvertisedAddress}; waiting for the leader lease ({settings.Lease.Ttl.TotalSeconds}s)");
        var server = await replica.LeadAsync(cancellationToken);
        await context.Out.WriteLineAsync($"leading as term {replica.Term!.Term}");
        if (server.AdminTokenGenerated)
        {
            await context.Out.WriteLineAsync($"bootstrap admin token (shown only this once; keep it safe): {server.AdminToken}");
        }

        await context.Out.FlushAsync(cancellationToken);
        var lost = await replica.ServeAsync(cancellationToken);
        if (lost is null)
        {
            return ExitCodes.Success;
        }

        await context.Error.WriteLineAsync($"lost leadership: {lost}; exiting so that this replica restarts as a standby");
        return ExitCodes.Failure;
    }

    /// <summary>Turns the HA flags into lease settings; they need PostgreSQL (SQLite keeps one controller).</summary>
    public static LeaderLeaseOptions? Lease(string? postgres, TimeSpan? ttl, Uri? advertise)
    {
        if (string.IsNullOrEmpty(postgres))
        {
            return ttl is not null || advertise is not null
                ? throw new CliException("--leader-lease and --advertise are for replicated controllers, which need --postgres: a SQLite database serves one controller only", ExitCodes.Usage)
                : null;
        }

        var lease = new LeaderLeaseOptions { Ttl = ttl ?? new LeaderLeaseOptions().Ttl };
        var problems = lease.Validate().ToList();
        return problems.Count > 0 ? throw new CliException("--leader-lease: " + string.Join("; ", problems), ExitCodes.Usage) : lease;
    }

    public static void LogTo(ILoggingBuilder logging) => logging.AddGridTrainConsole(LogLevel.Information);
}
