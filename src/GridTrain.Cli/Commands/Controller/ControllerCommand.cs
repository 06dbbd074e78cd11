using System.CommandLine;
using System.Net;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Output;
using GridTrain.Controller.Hosting;
using GridTrain.Controller.Leadership;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Commands.Controller;

/// <summary><c>gridtrain controller run</c>: serves the API until Ctrl+C or SIGTERM.</summary>
internal static class ControllerCommand
{
    public static Command Create(CliContext context) => new("controller", "The controller: schedules sessions onto agents and serves the API")
    {
        Run(context),
    };

    private static Command Run(CliContext context)
    {
        var defaults = new GridOptions();
        var listen = new ListenOption("--listen", "127.0.0.1:7070, 0.0.0.0:7070 or [::]:7070")
        {
            Description = "HOST:PORT to serve on (HTTP/2; TLS with --tls-cert); port 0 picks a free one, * listens on all interfaces [default: 127.0.0.1:7070]",
        };
        var metricsListen = ListenOption.Metrics();
        var webListen = ListenOption.Web();
        var dataDirectory = new Option<string>("--data-dir")
        {
            Description = "Directory for the controller's data (SQLite database controller.db, WAL mode); created if missing",
            HelpName = "DIR",
            Required = true,
        };
        var postgres = new Option<string>("--postgres")
        {
            Description = "Keep state in PostgreSQL instead of SQLite (an Npgsql connection string, e.g. Host=db;Username=gridtrain;Database=gridtrain) [env: GRIDTRAIN_POSTGRES]",
            HelpName = "CONNECTION",
        };
        var heartbeat = new DurationOption("--heartbeat-interval") { Description = "How often agents heartbeat [default: 2s]" };
        var agentTimeout = new DurationOption("--agent-timeout") { Description = "Silence after which an agent is lost and its sessions move [default: 10s]" };
        var maxAttempts = new NumberOption<int>("--max-attempts") { Description = $"Attempts a job gets when infrastructure fails under it [default: {defaults.MaxJobAttempts}]", HelpName = "N" }.AtLeast(1);

        var idleTimeout = new DurationOption("--idle-timeout") { Description = $"Idle timeout of sessions that do not ask for one [default: {Formats.Duration(defaults.DefaultIdleTimeout)}]" };
        var maxLifetime = new DurationOption("--max-lifetime") { Description = $"Lifetime of sessions that do not ask for one [default: {Formats.Duration(defaults.DefaultMaxLifetime)}]" };
        var stallTimeout = new DurationOption("--stall-timeout") { Description = "A running job without progress for this long counts as stalled: its session can be evicted as idle [default: off]" };
        var gpuStallThreshold = new NumberOption<double>("--gpu-stall-threshold") { Description = "With --stall-timeout: a running job whose GPUs stay below this utilization (0-1, e.g. 0.05) that long counts as stalled too [default: off]", HelpName = "FRACTION" }.Between(0.0, 1.0);
        var preemption = new Option<bool>("--preemption") { Description = "Let higher-priority sessions preempt lower-priority ones (victims checkpoint and requeue)" };
        var userCode = new ChoiceOption<bool?>("--user-code", new Dictionary<string, bool?>(StringComparer.Ordinal) { ["on"] = true, ["off"] = false })
        {
            Description = "Whether sessions may run their users' own code (exec, session cp, command jobs); off: built-in jobs only [default: on]",
        };
        var leaderLease = new DurationOption("--leader-lease") { Description = "With --postgres (replicated controllers): how long the leader's lease lasts unrenewed; a standby takes over within about 1.2 times this after the leader dies [default: 6s]" };
        var advertise = new Option<Uri>("--advertise")
        {
            Description = "With --postgres: the gRPC address standbys send clients to while this replica leads, e.g. http://10.0.0.5:7070 [default: the listen address, or this host's name on 0.0.0.0]",
            HelpName = "URL",
            CustomParser = result => ControllerOption.TryParseAddress(result.Tokens[0].Value, out var address) ? address : Invalid(result, $"--advertise: '{result.Tokens[0].Value}' is not an address; use http://HOST:PORT"),
        };
        var command = new Command("run", "Run a controller until Ctrl+C or SIGTERM; prints 'listening on URL' first (with --postgres, as a standby replica until it leads)") { listen, metricsListen, webListen, dataDirectory, postgres, leaderLease, advertise, heartbeat, agentTimeout, maxAttempts, idleTimeout, maxLifetime, preemption, stallTimeout, gpuStallThreshold, userCode };
        var security = new SecurityFlags(context);
        var quota = new QuotaFlags();
        foreach (var option in security.Options.Concat(quota.Options))
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, ct) =>
        {
            var options = new GridOptions
            {
                HeartbeatInterval = parseResult.GetValue(heartbeat) ?? defaults.HeartbeatInterval,
                AgentTimeout = parseResult.GetValue(agentTimeout) ?? defaults.AgentTimeout,
                MaxJobAttempts = parseResult.GetValue(maxAttempts) ?? defaults.MaxJobAttempts,
                DefaultIdleTimeout = parseResult.GetValue(idleTimeout) ?? defaults.DefaultIdleTimeout,
                DefaultMaxLifetime = parseResult.GetValue(maxLifetime) ?? defaults.DefaultMaxLifetime,
                Preemption = parseResult.GetValue(preemption),
                StallTimeout = parseResult.GetValue(stallTimeout) ?? TimeSpan.Zero,
                GpuStallThreshold = parseResult.GetValue(gpuStallThreshold) ?? 0,
                Quota = quota.Build(parseResult),
                UserCode = parseResult.GetValue(userCode) ?? defaults.UserCode,
            };
            var problems = options.Validate().ToList();
            if (problems.Count > 0)
            {
                throw new CliException("--heartbeat-interval, --agent-timeout, --max-attempts, --idle-timeout, --max-lifetime, --stall-timeout, --gpu-stall-threshold: " + string.Join("; ", problems), ExitCodes.Usage);
            }

            var securityOptions = security.Build(parseResult);
            var directory = CreateDataDirectory(parseResult.GetRequiredValue(dataDirectory));
            var endpoint = parseResult.GetValue(listen) ?? new IPEndPoint(IPAddress.Loopback, 7070);
            var postgresConnection = parseResult.GetValue(postgres) ?? Environment.GetEnvironmentVariable("GRIDTRAIN_POSTGRES");
            if (ReplicaRun.Lease(postgresConnection, parseResult.GetValue(leaderLease), parseResult.GetValue(advertise)) is { } lease)
            {
                var settings = new ControllerReplicaSettings
                {
                    Listen = endpoint,
                    MetricsListen = parseResult.GetValue(metricsListen),
                    WebListen = parseResult.GetValue(webListen),
                    PostgresConnectionString = postgresConnection!,
                    AdvertisedAddress = parseResult.GetValue(advertise),
                    Grid = options,
                    Security = securityOptions,
                    Lease = lease,
                    ConfigureLogging = ReplicaRun.LogTo,
                };
                return await ReplicaRun.RunAsync(context, settings, ct);
            }

            var storage = string.IsNullOrEmpty(postgresConnection)
                ? ControllerStorageOptions.InDirectory(directory)
                : new ControllerStorageOptions { PostgresConnectionString = postgresConnection };
            ControllerServer server;
            try
            {
                server = await ControllerServer.CreateAsync(endpoint, parseResult.GetValue(metricsListen), storage, options, logging => logging.AddGridTrainConsole(LogLevel.Information), ct, securityOptions, parseResult.GetValue(webListen));
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or IOException or ArgumentException or InvalidOperationException)
            {
                throw new CliException($"cannot open the controller's state ({storage.Describe()}): {ex.Message}");
            }

            await using var serverScope = server;
            try
            {
                await server.StartAsync(ct);
            }
            catch (IOException ex)
            {
                var others = new[] { parseResult.GetValue(metricsListen), parseResult.GetValue(webListen) }.OfType<IPEndPoint>().Select(e => $" and {e}");
                throw new CliException($"cannot listen on {endpoint}{string.Concat(others)}: {ex.Message}");
            }

            await context.Out.WriteLineAsync($"listening on {server.Address.ToString().TrimEnd('/')}");
            if (server.AdminTokenGenerated)
            {
                await context.Out.WriteLineAsync($"bootstrap admin token (shown only this once; keep it safe): {server.AdminToken}");
            }

            if (server.MetricsAddress is { } metricsAddress)
            {
                await context.Out.WriteLineAsync($"metrics on {metricsAddress.ToString().TrimEnd('/')}/metrics");
            }

            if (server.WebAddress is { } webAddress)
            {
                await context.Out.WriteLineAsync($"web console on {webAddress}");
            }

            await context.Out.FlushAsync(ct);
            await context.Error.WriteLineAsync($"state in {storage.Describe()}; heartbeat every {options.HeartbeatInterval.TotalSeconds}s, agents lost after {options.AgentTimeout.TotalSeconds}s, {options.MaxJobAttempts} attempts per job");
            await server.WaitForShutdownAsync(ct);
            return ExitCodes.Success;
        });
        return command;
    }

    private static Uri? Invalid(System.CommandLine.Parsing.ArgumentResult result, string error)
    {
        result.AddError(error);
        return null;
    }

    private static string CreateDataDirectory(string path)
    {
        try
        {
            return Directory.CreateDirectory(Path.GetFullPath(path)).FullName;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"cannot create --data-dir {path}: {ex.Message}");
        }
    }
}
