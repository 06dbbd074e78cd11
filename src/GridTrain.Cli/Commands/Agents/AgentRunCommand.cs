using System.CommandLine;
using System.Net;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Metrics;
using GridTrain.Cli.Commands.Controller;
using GridTrain.Cli.Errors;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Commands.Agents;

/// <summary><c>gridtrain agent run</c>: joins this machine to a controller and runs its jobs until Ctrl+C or SIGTERM.</summary>
internal static class AgentRunCommand
{
    public static Command Create(CliContext context)
    {
        var defaults = new AgentOptions();
        var controller = new ControllerOption(context);
        var name = new Option<string>("--name") { Description = "Unique agent name: 1-63 characters of a-z, 0-9 and '-' [default: the machine name]", HelpName = "NAME" };
        var workDirectory = new Option<string>("--work-dir") { Description = "Directory for job files, checkpoints and TensorBoard logs [default: ./gridtrain-agent]", HelpName = "DIR" };
        var cpuSlots = new NumberOption<int>("--cpu-slots") { Description = $"CPU sessions accepted at once [default: {defaults.CpuSlots}]", HelpName = "N" }.AtLeast(0);
        var threads = new NumberOption<int>("--threads-per-job") { Description = "Intra-op threads per job process [default: cores / CPU slots]", HelpName = "N" }.AtLeast(1);
        var joinTokenFile = new Option<string>("--join-token-file") { Description = "File with the agent join token [env: GRIDTRAIN_JOIN_TOKEN]", HelpName = "FILE" };
        var clientCertificate = new Option<string>("--client-cert") { Description = "PEM client certificate, for controllers that require mutual TLS from agents; needs --client-key", HelpName = "FILE" };
        var clientKey = new Option<string>("--client-key") { Description = "PEM private key of --client-cert", HelpName = "FILE" };
        var metricsListen = new Option<IPEndPoint>("--metrics-listen")
        {
            Description = "HOST:PORT to serve /metrics (Prometheus), /livez and /readyz on, over HTTP/1.1 without authentication; port 0 picks a free one [default: off]",
            HelpName = "HOST:PORT",
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (!ListenAddress.TryParse(text, out var endpoint))
                {
                    result.AddError($"--metrics-listen: '{text}' is not HOST:PORT; use e.g. 127.0.0.1:9464 or 0.0.0.0:9464");
                }

                return endpoint;
            },
        };
        var command = new Command("run", "Run an agent on this machine until Ctrl+C or SIGTERM") { controller, name, workDirectory, cpuSlots, threads, joinTokenFile, clientCertificate, clientKey, metricsListen };
        command.SetAction(async (parseResult, ct) =>
        {
            var options = new AgentOptions
            {
                Controller = controller.Resolve(parseResult),
                Name = parseResult.GetValue(name) ?? defaults.Name,
                WorkDirectory = Path.GetFullPath(parseResult.GetValue(workDirectory) ?? defaults.WorkDirectory),
                CpuSlots = parseResult.GetValue(cpuSlots) ?? defaults.CpuSlots,
                ThreadsPerJob = parseResult.GetValue(threads) ?? defaults.ThreadsPerJob,
                JoinToken = Controller.SecurityFlags.ReadSecret(parseResult.GetValue(joinTokenFile), joinTokenFile.Name, context.GetEnvironmentVariable("GRIDTRAIN_JOIN_TOKEN")),
                CaFile = controller.ResolveCaFile(parseResult),
                ClientCertificateFile = parseResult.GetValue(clientCertificate) is { } certificate ? Path.GetFullPath(certificate) : null,
                ClientKeyFile = parseResult.GetValue(clientKey) is { } key ? Path.GetFullPath(key) : null,
            };
            var problems = options.Validate().ToList();
            if (problems.Count > 0)
            {
                throw new CliException(string.Join("; ", problems), ExitCodes.Usage);
            }

            using var logging = LoggerFactory.Create(builder => builder.AddGridTrainConsole(LogLevel.Information));
            using var gpus = GpuMonitors.Open(logging.CreateLogger(typeof(GpuMonitors)));
            await using var agent = new GridAgent(options, context.Time, logging.CreateLogger<GridAgent>(), gpus);
            await using var telemetry = await StartTelemetryAsync(parseResult.GetValue(metricsListen), agent, gpus, context.Time, ct);
            await context.Out.WriteLineAsync($"agent {options.Name} joining {options.Controller!.ToString().TrimEnd('/')}; work directory {options.WorkDirectory}");
            if (telemetry is not null)
            {
                await context.Out.WriteLineAsync($"metrics on {telemetry.Address.ToString().TrimEnd('/')}/metrics");
            }

            await context.Out.FlushAsync(ct);
            await agent.RunAsync(ct);
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<AgentTelemetryServer?> StartTelemetryAsync(IPEndPoint? listen, GridAgent agent, IGpuMonitor gpus, TimeProvider time, CancellationToken cancellationToken)
    {
        if (listen is null)
        {
            return null;
        }

        try
        {
            return await AgentTelemetryServer.StartAsync(listen, agent, gpus, time, logging => logging.AddGridTrainConsole(LogLevel.Information), cancellationToken);
        }
        catch (IOException ex)
        {
            throw new CliException($"cannot serve metrics on {listen}: {ex.Message}");
        }
    }
}
