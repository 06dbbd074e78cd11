using System.CommandLine;
using GridTrain.Cli.Errors;
using GridTrain.Domain.Quotas;

namespace GridTrain.Cli.Commands.Controller;

/// <summary>The controller's quota and compute-unit flags, and the <see cref="QuotaOptions"/> they make.</summary>
internal sealed class QuotaFlags
{
    private readonly Option<int?> _gpus = new NumberOption<int>("--quota-gpus") { Description = "GPUs one user may hold at once [default: no limit]", HelpName = "N" }.AtLeast(1);
    private readonly Option<double?> _gpuHours = new NumberOption<double>("--quota-gpu-hours") { Description = "GPU-hours one user may use within --quota-window [default: no limit]", HelpName = "HOURS" }.AtLeast(0.01);
    private readonly Option<double?> _units = new NumberOption<double>("--quota-units") { Description = "Compute units one user may spend within --quota-window, at the --unit-rate rates [default: no limit]", HelpName = "UNITS" }.AtLeast(0.01);
    private readonly Option<TimeSpan?> _window = new DurationOption("--quota-window") { Description = "Rolling window of --quota-gpu-hours and --quota-units [default: 24h]" };
    private readonly Option<string[]> _rates = new("--unit-rate")
    {
        Description = "Compute units an hour: cpu=RATE per CPU session, gpu=RATE per GPU, MODEL=RATE per GPU whose model contains MODEL's words, the most specific winning (repeatable; e.g. --unit-rate cpu=0.1 --unit-rate H100=6) [default: gpu=1, cpu=0]",
        HelpName = "KEY=RATE",
        AllowMultipleArgumentsPerToken = false,
    };

    private readonly Option<string> _exhausted = new Option<string>("--quota-exhausted")
    {
        Description = "What a new session over a limit gets: refuse (RESOURCE_EXHAUSTED), queue (waits until the quota allows it), cpu-only (a GPU session becomes a CPU session once units or GPU-hours run out) [default: refuse]",
        HelpName = "refuse|queue|cpu-only",
    }.AcceptOnlyFromAmong("refuse", "queue", "cpu-only");

    private readonly Option<bool> _queueOverQuota = new("--queue-over-quota") { Description = "Same as --quota-exhausted queue" };

    public IEnumerable<Option> Options => [_gpus, _gpuHours, _units, _window, _rates, _exhausted, _queueOverQuota];

    public QuotaOptions Build(ParseResult parseResult)
    {
        UnitRates rates;
        try
        {
            rates = UnitRates.Parse(parseResult.GetValue(_rates) ?? []);
        }
        catch (FormatException ex)
        {
            throw new CliException($"--unit-rate: {ex.Message}", ExitCodes.Usage);
        }

        var exhausted = parseResult.GetValue(_exhausted);
        if (parseResult.GetValue(_queueOverQuota) && exhausted is not null and not "queue")
        {
            throw new CliException($"--queue-over-quota contradicts --quota-exhausted {exhausted}: give one of them", ExitCodes.Usage);
        }

        return new QuotaOptions
        {
            MaxConcurrentGpus = parseResult.GetValue(_gpus) ?? 0,
            GpuHoursPerWindow = parseResult.GetValue(_gpuHours) ?? 0,
            UnitsPerWindow = parseResult.GetValue(_units) ?? 0,
            Window = parseResult.GetValue(_window) ?? TimeSpan.FromHours(24),
            Rates = rates,
            Exhausted = parseResult.GetValue(_queueOverQuota) ? QuotaExhaustion.Queue : exhausted switch
            {
                "queue" => QuotaExhaustion.Queue,
                "cpu-only" => QuotaExhaustion.CpuOnly,
                _ => QuotaExhaustion.Refuse,
            },
        };
    }
}
