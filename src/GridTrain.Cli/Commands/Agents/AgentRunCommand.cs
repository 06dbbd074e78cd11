using System.CommandLine;
using System.Net;
using GridTrain.Agent;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Metrics;
using GridTrain.Checkpoints.Drive;
using GridTrain.Cli.Commands.Controller;
using GridTrain.Cli.Errors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GridTrain.Cli.Commands.Agents;

/// <summary><c>gridtrain agent run</c>: joins this machine to a controller and runs its jobs until Ctrl+C or SIGTERM.</summary>
internal static class AgentRunCommand
{
    public static Command Create(CliContext context)
    {
        var defaults = new AgentOptions();
        var controller = new ControllerOption(context);
        var name = new Option<string>("--name") { Description = "Unique agent name, a DNS subdomain such as a Kubernetes node name: dot-separated labels of a-z, 0-9 and '-', at most 253 characters [default: the machine name]", HelpName = "NAME" };
        var workDirectory = new Option<string>("--work-dir") { Description = "Directory for job files, checkpoints and TensorBoard logs [default: ./gridtrain-agent]", HelpName = "DIR" };
        var cpuSlots = new NumberOption<int>("--cpu-slots") { Description = $"CPU sessions accepted at once [default: {defaults.CpuSlots}]", HelpName = "N" }.AtLeast(0);
        var threads = new NumberOption<int>("--threads-per-job") { Description = "Intra-op threads per job process [default: cores / CPU slots]", HelpName = "N" }.AtLeast(1);
        var joinTokenFile = new Option<string>("--join-token-file") { Description = "File with the agent join token [env: GRIDTRAIN_JOIN_TOKEN]", HelpName = "FILE" };
        var clientCertificate = new Option<string>("--client-cert") { Description = "PEM client certificate, for controllers that require mutual TLS from agents; needs --client-key", HelpName = "FILE" };
        var clientKey = new Option<string>("--client-key") { Description = "PEM private key of --client-cert", HelpName = "FILE" };
        var metricsListen = ListenOption.Metrics();
        var store = new ChoiceOption<string>("--checkpoint-store", new Dictionary<string, string> { ["local"] = "local", ["gdrive"] = "gdrive" })
        {
            Description = "Where committed checkpoints go: local (the work directory) or gdrive (Google Drive) [default: local, or $GRIDTRAIN_CHECKPOINT_STORE]",
        };
        var driveRoot = new Option<string>("--drive-root-folder") { Description = "Drive folder id that holds a folder per job [or $GRIDTRAIN_DRIVE_ROOT_FOLDER]", HelpName = "ID" };
        var sharedDrive = new Option<string>("--drive-shared-drive") { Description = "Id of the shared drive the root folder is in (service accounts) [or $GRIDTRAIN_DRIVE_SHARED_DRIVE]", HelpName = "ID" };
        var driveCredentials = new Option<string>("--drive-credentials")
        {
            Description = "Service account key or authorized_user JSON file [or $GRIDTRAIN_DRIVE_CREDENTIALS; else the JSON in $GRIDTRAIN_DRIVE_CREDENTIALS_JSON; else application default credentials]",
            HelpName = "FILE",
        };
        var driveEndpoint = new Option<Uri>("--drive-endpoint")
        {
            Description = "Drive API base address [default: https://www.googleapis.com/]",
            HelpName = "URL",
            Hidden = true,
            CustomParser = result =>
            {
                if (Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
                {
                    return uri;
                }

                result.AddError($"--drive-endpoint: '{result.Tokens[0].Value}' is not an http(s) address");
                return null;
            },
        };
        var workspaceLimit = new SizeOption("--workspace-limit") { Description = "The most a session's workspace (WORK_DIR/sessions/ID/workspace) may hold, e.g. 500MiB or 20GiB [default: 20GiB]" };
        var runAs = new Option<string>("--run-as")
        {
            Description = "Run user code (exec, command jobs) as this UID:GID when the agent runs as root [default: the agent's own user]",
            HelpName = "UID:GID",
            Validators =
            {
                result =>
                {
                    var value = result.Tokens[0].Value;
                    try
                    {
                        _ = GridTrain.Agent.UserCode.UserProcessStart.ParseRunAs(value);
                    }
                    catch (ArgumentException)
                    {
                        result.AddError($"--run-as: '{value}' is not UID:GID (numbers, e.g. 1000:1000)");
                    }
                },
            },
        };
        var health = new GpuHealthFlags(defaults.GpuHealth);
        var command = new Command("run", "Run an agent on this machine until Ctrl+C or SIGTERM") { controller, name, workDirectory, cpuSlots, threads, workspaceLimit, runAs, joinTokenFile, clientCertificate, clientKey, metricsListen, store, driveRoot, sharedDrive, driveCredentials, driveEndpoint };
        health.AddTo(command);
        command.SetAction(async (parseResult, ct) =>
        {
            await using var services = new ServiceCollection()
                .AddLogging(builder => builder.AddGridTrainConsole(LogLevel.Information))
                .AddSingleton(context.Time)
                .AddGridTrainAgent(options =>
                {
                    var controllers = controller.ResolveAll(parseResult);
                    options.Controller = controllers[0];
                    options.OtherControllers = controllers[1..];
                    options.Name = parseResult.GetValue(name) ?? defaults.Name;
                    options.WorkDirectory = Path.GetFullPath(parseResult.GetValue(workDirectory) ?? defaults.WorkDirectory);
                    options.CpuSlots = parseResult.GetValue(cpuSlots) ?? defaults.CpuSlots;
                    options.ThreadsPerJob = parseResult.GetValue(threads) ?? defaults.ThreadsPerJob;
                    options.WorkspaceLimitBytes = parseResult.GetValue(workspaceLimit) ?? defaults.WorkspaceLimitBytes;
                    options.RunAs = parseResult.GetValue(runAs);
                    options.JoinToken = Controller.SecurityFlags.ReadSecret(parseResult.GetValue(joinTokenFile), joinTokenFile.Name, context.GetEnvironmentVariable("GRIDTRAIN_JOIN_TOKEN"));
                    options.CaFile = controller.ResolveCaFile(parseResult);
                    options.ClientCertificateFile = parseResult.GetValue(clientCertificate) is { } certificate ? Path.GetFullPath(certificate) : null;
                    options.ClientKeyFile = parseResult.GetValue(clientKey) is { } key ? Path.GetFullPath(key) : null;
                    options.CheckpointStore = parseResult.GetValue(store) ?? Environment("GRIDTRAIN_CHECKPOINT_STORE") ?? defaults.CheckpointStore;
                    options.Drive = new DriveOptions
                    {
                        RootFolderId = parseResult.GetValue(driveRoot) ?? Environment("GRIDTRAIN_DRIVE_ROOT_FOLDER") ?? "",
                        SharedDriveId = parseResult.GetValue(sharedDrive) ?? Environment("GRIDTRAIN_DRIVE_SHARED_DRIVE") ?? "",
                        CredentialsFile = parseResult.GetValue(driveCredentials) ?? Environment("GRIDTRAIN_DRIVE_CREDENTIALS") ?? "",
                        Endpoint = parseResult.GetValue(driveEndpoint) ?? defaults.Drive.Endpoint,
                    };
                    options.GpuHealth = health.Resolve(parseResult);
                })
                .BuildServiceProvider();
            GridAgent agent;
            try
            {
                agent = services.GetGridAgent();
            }
            catch (OptionsValidationException ex)
            {
                throw new CliException(string.Join("; ", ex.Failures), ExitCodes.Usage);
            }
            catch (InvalidOperationException ex)
            {
                // Unusable Drive credentials: the message names the source and the field, never the secret.
                throw new CliException(ex.Message, ExitCodes.Usage);
            }

            var options = services.GetRequiredService<IOptions<AgentOptions>>().Value;
            var gpus = services.GetRequiredService<IGpuMonitor>();
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

        string? Environment(string variable) => context.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value : null;
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
