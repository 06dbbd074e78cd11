using System.CommandLine;
using GridTrain.Cli.Errors;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Sessions;

/// <summary><c>--runtime cpu|gpu [--gpus N] [--gpu-model M] [--priority P]</c>: what a session holds, for session create and batch jobs.</summary>
internal sealed class ResourceOptions
{
    private static readonly Dictionary<string, Runtime> Runtimes = new(StringComparer.Ordinal)
    {
        ["cpu"] = Protos.V1.Runtime.Cpu,
        ["gpu"] = Protos.V1.Runtime.Gpu,
    };

    public ChoiceOption<Runtime> Runtime { get; } = new("--runtime", Runtimes)
    {
        Description = "cpu (a CPU slot) or gpu (whole GPUs); write code on cpu, switch to gpu to train [default: cpu]",
    };

    public Option<int?> Gpus { get; } = new NumberOption<int>("--gpus") { Description = "Whole GPUs to hold with --runtime gpu [default: 1]", HelpName = "N" }.AtLeast(1);

    public Option<string?> GpuModel { get; } = new("--gpu-model") { Description = "Only GPUs whose model contains this text, e.g. H100 (--runtime gpu)", HelpName = "MODEL" };

    public Option<int?> Priority { get; } = new NumberOption<int>("--priority") { Description = "Scheduling priority, 0..1000; higher is placed first [default: 0]", HelpName = "P" }.Between(0, 1000);

    public void AddTo(Command command)
    {
        command.Add(Runtime);
        command.Add(Gpus);
        command.Add(GpuModel);
        command.Add(Priority);
    }

    /// <summary>The resources asked for; GPU options without <c>--runtime gpu</c> are a usage error.</summary>
    public ResourceRequest ToRequest(ParseResult parseResult)
    {
        var runtime = parseResult.GetValue(Runtime) is Protos.V1.Runtime.Gpu ? Protos.V1.Runtime.Gpu : Protos.V1.Runtime.Cpu;
        if (runtime == Protos.V1.Runtime.Cpu && (parseResult.GetValue(Gpus) is not null || parseResult.GetValue(GpuModel) is not null))
        {
            throw new CliException("--gpus and --gpu-model need --runtime gpu", ExitCodes.Usage);
        }

        return new ResourceRequest
        {
            Runtime = runtime,
            GpuCount = runtime == Protos.V1.Runtime.Gpu ? parseResult.GetValue(Gpus) ?? 1 : 0,
            GpuModel = parseResult.GetValue(GpuModel) ?? "",
        };
    }

    public int PriorityValue(ParseResult parseResult) => parseResult.GetValue(Priority) ?? 0;
}
