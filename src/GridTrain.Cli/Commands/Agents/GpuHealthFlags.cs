using System.CommandLine;
using GridTrain.Agent.Gpu.Health;

namespace GridTrain.Cli.Commands.Agents;

/// <summary><c>agent run</c>'s GPU health flags, resolved into <see cref="GpuHealthOptions"/>.</summary>
internal sealed class GpuHealthFlags(GpuHealthOptions defaults)
{
    private readonly Option<string> _command = new("--gpu-health-command")
    {
        Description = "Health check run through /bin/sh before the GPUs are first leased and after a fault, e.g. \"dcgmi diag -r 1\"; a failure takes the GPUs out of service [default: none]",
        HelpName = "COMMAND",
    };

    private readonly DurationOption _commandTimeout = new("--gpu-health-command-timeout") { Description = $"How long --gpu-health-command may run [default: {defaults.CommandTimeout.TotalMinutes:0}m]" };
    private readonly DurationOption _interval = new("--gpu-health-interval") { Description = $"How often each GPU's health is checked through NVML [default: {defaults.Interval.TotalSeconds:0}s]" };
    private readonly Option<int?> _cleanChecks = new NumberOption<int>("--gpu-readmit-checks") { Description = $"Consecutive clean checks before a GPU out of service comes back [default: {defaults.ReadmitCleanChecks}]", HelpName = "N" }.AtLeast(1);
    private readonly DurationOption _window = new("--gpu-readmit-window") { Description = $"Least time those clean checks must span [default: {defaults.ReadmitWindow.TotalMinutes:0}m]" };

    public void AddTo(Command command)
    {
        command.Options.Add(_command);
        command.Options.Add(_commandTimeout);
        command.Options.Add(_interval);
        command.Options.Add(_cleanChecks);
        command.Options.Add(_window);
    }

    public GpuHealthOptions Resolve(ParseResult parseResult) => new()
    {
        Command = parseResult.GetValue(_command),
        CommandTimeout = parseResult.GetValue(_commandTimeout) ?? defaults.CommandTimeout,
        Interval = parseResult.GetValue(_interval) ?? defaults.Interval,
        ReadmitCleanChecks = parseResult.GetValue(_cleanChecks) ?? defaults.ReadmitCleanChecks,
        ReadmitWindow = parseResult.GetValue(_window) ?? defaults.ReadmitWindow,
    };
}
