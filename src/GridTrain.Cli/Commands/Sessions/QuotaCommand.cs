using System.CommandLine;
using GridTrain.Cli.Output;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Sessions;

/// <summary><c>gridtrain quota</c>: the caller's GPU use and compute units against their limits.</summary>
internal static class QuotaCommand
{
    public static Command Create(CliContext context)
    {
        var controller = new ControllerOption(context);
        var output = OutputOption.Create();
        var command = new Command("quota", "Show your GPU use and compute units against your quota (your token's user)") { controller, output };
        command.SetAction(async (parseResult, ct) =>
        {
            using var client = controller.Connect(parseResult);
            var quota = await client.Sessions.GetQuotaAsync(new GetQuotaRequest(), deadline: context.CallDeadline(), cancellationToken: ct);
            context.Print(parseResult.GetValue(output), quota, (w, _) => new Details()
                .Add("User", quota.Owner)
                .Add("GPUs held", quota.MaxConcurrentGpus > 0 ? $"{quota.ConcurrentGpus} of {quota.MaxConcurrentGpus}" : $"{quota.ConcurrentGpus} (no limit)")
                .Add("GPU-hours", quota.GpuHoursPerWindow > 0
                    ? $"{Formats.Number(Math.Round(quota.GpuHours, 2))} of {Formats.Number(quota.GpuHoursPerWindow)} in the last {Formats.Duration(quota.Window.ToTimeSpan())}"
                    : $"{Formats.Number(Math.Round(quota.GpuHours, 2))} in the last {Formats.Duration(quota.Window.ToTimeSpan())} (no limit)")
                .Add("Units spent", quota.UnitsPerWindow > 0
                    ? $"{Formats.Number(Math.Round(quota.UnitsSpent, 2))} of {Formats.Number(quota.UnitsPerWindow)} in the last {Formats.Duration(quota.Window.ToTimeSpan())}"
                    : $"{Formats.Number(Math.Round(quota.UnitsSpent, 2))} in the last {Formats.Duration(quota.Window.ToTimeSpan())} (no limit)")
                .Add("Units left", quota.UnitsPerWindow > 0 ? Formats.Number(Math.Round(Math.Max(0, quota.UnitsPerWindow - quota.UnitsSpent), 2)) : null)
                .Add("Burn rate", $"{Formats.Number(Math.Round(quota.BurnRate, 4))} units/h (what runs now)")
                .Add("Units free", quota.UnitsFreeAt is null ? null : $"from {Formats.Time(quota.UnitsFreeAt)}, as the oldest spending leaves the window")
                .Add("Over a limit", quota.WhenExhausted switch
                {
                    "queue" => "new sessions wait in the queue",
                    "cpu-only" => "GPU sessions become CPU sessions once units or GPU-hours run out",
                    _ => "new sessions are refused",
                })
                .WriteTo(w));
            return ExitCodes.Success;
        });
        return command;
    }
}
