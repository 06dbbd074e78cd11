using System.CommandLine;
using System.Globalization;
using GridTrain.Agent.Gpu;
using GridTrain.Cli.Errors;
using Microsoft.Extensions.Logging;

namespace GridTrain.Cli.Commands.Agents;

/// <summary>
/// <c>gridtrain agent gpus</c>: what an agent on this machine would advertise and export, straight from NVML; with
/// <c>--cuda</c>, also runs a matrix multiply on every CUDA device through TorchSharp (the path jobs take).
/// </summary>
internal static class AgentGpusCommand
{
    public static Command Create(CliContext context)
    {
        var cuda = new Option<bool>("--cuda") { Description = "Also check CUDA through TorchSharp: device count matches NVML and a matmul runs on every device" };
        var command = new Command("gpus", "List this machine's GPUs as NVML reports them (what 'agent run' advertises), with a reading of each") { cuda };
        command.SetAction((parseResult, _) =>
        {
            using var logging = LoggerFactory.Create(builder => builder.AddGridTrainConsole(LogLevel.Information));
            using var gpus = GpuMonitors.Open(logging.CreateLogger(typeof(GpuMonitors)));
            foreach (var device in gpus.Devices)
            {
                var reading = gpus.Read(device.Index);
                context.Out.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"gpu {device.Index} uuid={device.Uuid} model=\"{device.Model}\" memory_total_bytes={device.MemoryBytes} utilization={Value(reading.Utilization)} memory_used_bytes={Value(reading.MemoryUsedBytes)} temperature_celsius={Value(reading.TemperatureCelsius)} power_watts={Value(reading.PowerWatts)}"));
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

            return Task.FromResult(ExitCodes.Success);
        });
        return command;
    }

    private static string Value(double? value) => value?.ToString("G6", CultureInfo.InvariantCulture) ?? "n/a";

    private static string Value(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "n/a";
}
