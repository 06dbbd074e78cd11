using System.CommandLine;
using System.Globalization;
using GridTrain.Agent.Gpu;
using GridTrain.Agent.Gpu.Health;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Output;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Commands.Agents;

/// <summary>
/// <c>gridtrain agent gpus</c>: what an agent on this machine would advertise and export, straight from NVML, with each
/// GPU's health now; with <c>--cuda</c>, also runs a matrix multiply on every CUDA device through TorchSharp (the path
/// jobs take). <c>gridtrain agent gpus AGENT</c>: a registered agent's GPUs as the controller knows them, with their
/// health and why one is out of service.
/// </summary>
internal static class AgentGpusCommand
{
    public static Command Create(CliContext context)
    {
        var cuda = new Option<bool>("--cuda") { Description = "Also check CUDA through TorchSharp: device count matches NVML and a matmul runs on every device" };
        var agentName = new Argument<string?>("AGENT") { Description = "A registered agent (id or name): list its GPUs as the controller knows them, with their health", Arity = ArgumentArity.ZeroOrOne };
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var command = new Command("gpus", "List this machine's GPUs as NVML reports them (what 'agent run' advertises), with a reading and the health of each; or, given AGENT, that agent's GPUs and their health") { agentName, cuda, controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            if (parseResult.GetValue(agentName) is { } named)
            {
                using var client = controller.Connect(parseResult);
                var agent = await AgentLookup.FindAsync(client, named, context, ct);
                context.Print(parseResult.GetValue(output), agent, (w, _) => AgentView.Gpus(agent).WriteTo(w));
                return ExitCodes.Success;
            }

            using var logging = LoggerFactory.Create(builder => builder.AddGridTrainConsole(LogLevel.Information));
            using var gpus = GpuMonitors.Open(logging.CreateLogger(typeof(GpuMonitors)));
            foreach (var device in gpus.Devices)
            {
                var reading = gpus.Read(device.Index);
                context.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"gpu {device.Index} uuid={device.Uuid} model=\"{device.Model}\" memory_total_bytes={device.MemoryBytes} utilization={Value(reading.Utilization)} memory_used_bytes={Value(reading.MemoryUsedBytes)} temperature_celsius={Value(reading.TemperatureCelsius)} power_watts={Value(reading.PowerWatts)} health={Health(gpus, device.Index)}"));
            }

            context.Out.WriteLine($"nvml gpus={gpus.Devices.Count}");
            if (parseResult.GetValue(cuda))
            {
                var result = CudaProbe.Run(gpus.Devices.Count);
                foreach (var line in result.Lines)
                {
                    context.Out.WriteLine(line);
                }

                if (result.Problem is { } problem)
                {
                    throw new CliException($"CUDA check failed: {problem}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One health check of the GPU: <c>healthy</c>, or <c>unhealthy</c> with the fault.</summary>
    private static string Health(IGpuMonitor gpus, int index)
    {
        try
        {
            return GpuFaultRules.Find(gpus.ReadHealth(index), previousEcc: null) is { } fault ? $"unhealthy reason=\"{fault.Detail}\"" : "healthy";
        }
        catch (GpuMonitorException ex) when (ex.IsLost)
        {
            return $"unhealthy reason=\"{GpuFaultRules.Lost(ex.Message).Detail}\"";
        }
    }

    private static string Value(double? value) => value?.ToString("G6", CultureInfo.InvariantCulture) ?? "n/a";

    private static string Value(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "n/a";
}
