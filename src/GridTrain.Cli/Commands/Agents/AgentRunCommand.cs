using System.CommandLine;
using GridTrain.Agent.Connection;
using GridTrain.Agent.Hosting;
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
        var command = new Command("run", "Run an agent on this machine until Ctrl+C or SIGTERM") { controller, name, workDirectory, cpuSlots, threads };
        command.SetAction(async (parseResult, ct) =>
        {
            var options = new AgentOptions
            {
                Controller = controller.Resolve(parseResult),
                Name = parseResult.GetValue(name) ?? defaults.Name,
                WorkDirectory = Path.GetFullPath(parseResult.GetValue(workDirectory) ?? defaults.WorkDirectory),
                CpuSlots = parseResult.GetValue(cpuSlots) ?? defaults.CpuSlots,
                ThreadsPerJob = parseResult.GetValue(threads) ?? defaults.ThreadsPerJob,
            };
            var problems = options.Validate().ToList();
            if (problems.Count > 0)
            {
                throw new CliException(string.Join("; ", problems), ExitCodes.Usage);
            }

            using var logging = LoggerFactory.Create(builder => builder.AddGridTrainConsole(LogLevel.Information));
            await using var agent = new GridAgent(options, context.Time, logging.CreateLogger<GridAgent>());
            await context.Out.WriteLineAsync($"agent {options.Name} joining {options.Controller!.ToString().TrimEnd('/')}; work directory {options.WorkDirectory}");
            await context.Out.FlushAsync(ct);
            await agent.RunAsync(ct);
            return ExitCodes.Success;
        });
        return command;
    }
}
