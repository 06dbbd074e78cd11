using System.CommandLine;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary>
/// The options of <c>job submit</c> that make up the job's spec: a job file (<c>-f job.yaml</c>), or model, data,
/// training and checkpoint settings as flags.
/// </summary>
internal sealed class JobSpecOptions
{
    public ChoiceOption<string> Model { get; } = new("--model", Domain.Jobs.Choice<Domain.Jobs.ModelKind>.Names.Where(m => m is not ("torchscript" or "command")).ToDictionary(m => m, m => m))
    {
        Description = "Model to train: cnn (the Fashion-MNIST reference CNN), mlp or resnet (torchscript needs a job file)",
    };

    public Option<string?> File { get; } = new("--file", "-f")
    {
        Description = "A job spec file, YAML or JSON (see examples/); instead of the model, data and training flags",
        HelpName = "FILE",
    };

    public Option<string?> Data { get; } = new("--data") { Description = "Directory of IDX files (MNIST/Fashion-MNIST names, raw or .gz) on the agent's machine", HelpName = "DIR" };

    public Option<int?> Synthetic { get; } = new NumberOption<int>("--synthetic") { Description = "Train on N generated examples instead (and N/5 test examples)", HelpName = "N" }.AtLeast(1);

    public Option<int?> Epochs { get; } = new NumberOption<int>("--epochs") { Description = "Passes over the training data [default: 1]", HelpName = "N" }.AtLeast(1);

    public Option<int?> BatchSize { get; } = new NumberOption<int>("--batch-size") { Description = "Examples per step [default: 64]", HelpName = "N" }.AtLeast(1);

    public Option<double?> LearningRate { get; } = new NumberOption<double>("--lr") { Description = "Learning rate [default: 0.001 for adam, 0.01 for sgd]", HelpName = "X" }.Positive();

    public ChoiceOption<string> Optimizer { get; } = new("--optimizer", Domain.Jobs.Choice<Domain.Jobs.OptimizerKind>.Names.ToDictionary(o => o, o => o))
    {
        Description = "Optimizer [default: adam]",
    };

    public Option<long?> MaxSteps { get; } = new NumberOption<long>("--max-steps") { Description = "Stop after this many steps", HelpName = "N" }.AtLeast(1);

    public Option<long?> Seed { get; } = new NumberOption<long>("--seed") { Description = "Seed for weights, data order and dropout [default: 1]", HelpName = "N" };

    public Option<int?> CheckpointEvery { get; } = new NumberOption<int>("--checkpoint-every") { Description = "Write a checkpoint every N steps [default: at epoch ends only]", HelpName = "N" }.AtLeast(1);

    public Option<int?> Threads { get; } = new NumberOption<int>("--threads") { Description = "Intra-op threads of the job's process [default: the agent's per-job limit]", HelpName = "N" }.AtLeast(1);

    public Option<string?> Name { get; } = new("--name") { Description = "A name to show in listings", HelpName = "NAME" };

    /// <summary>A command job's program and its options.</summary>
    public CommandJobOptions Command { get; } = new();

    public void AddTo(Command command)
    {
        Option[] flags = [Model, Data, Synthetic, Epochs, BatchSize, LearningRate, Optimizer, MaxSteps, Seed, CheckpointEvery, Threads, Name];
        command.Add(File);
        foreach (var option in flags)
        {
            command.Add(option);
        }

        Command.AddTo(command);
        command.Validators.Add(result =>
        {
            var hasProgram = result.GetValue(Command.Argv) is { Length: > 0 };
            if (hasProgram || Command.Flags.Any(result.IsGiven))
            {
                var builtIn = new Option[] { File, Model, Data, Synthetic, Epochs, BatchSize, LearningRate, Optimizer, MaxSteps, Seed, CheckpointEvery }.Where(result.IsGiven).Select(o => o.Name).ToList();
                if (builtIn.Count > 0)
                {
                    result.AddError($"{string.Join(", ", builtIn)}: not with a command job (-- CMD ARGS); your program reads its own settings");
                }

                if (!hasProgram)
                {
                    result.AddError($"{string.Join(", ", Command.Flags.Where(result.IsGiven).Select(o => o.Name))}: for a command job; name the program after --, e.g. -- python3 train.py");
                }

                return;
            }

            if (result.IsGiven(File))
            {
                var given = flags.Where(result.IsGiven).Select(o => o.Name).ToList();
                if (given.Count > 0)
                {
                    result.AddError($"{string.Join(", ", given)}: not with --file; put these settings in the job file");
                }

                return;
            }

            if (!result.IsGiven(Model))
            {
                result.AddError("give a job file (-f job.yaml), the model to train (--model cnn|mlp|resnet) or your own program (-- CMD ARGS)");
            }

            if (result.IsGiven(Data) == result.IsGiven(Synthetic))
            {
                result.AddError($"set exactly one of {Data.Name} and {Synthetic.Name}: train on IDX files (--data DIR) or on generated data (--synthetic N)");
            }
        });
    }

    public JobSpec ToSpec(ParseResult parseResult)
    {
        if (Command.IsGiven(parseResult))
        {
            return new JobSpec
            {
                Command = Command.ToCommand(parseResult),
                Threads = parseResult.GetValue(Threads) ?? 0,
                DisplayName = parseResult.GetValue(Name) ?? "",
            };
        }

        if (parseResult.GetValue(File) is { } file)
        {
            return JobFile.Load(file);
        }

        var data = parseResult.GetValue(Data) is { } directory
            ? new DataSpec { IdxDirectory = Path.GetFullPath(directory) }
            : new DataSpec { Synthetic = new SyntheticData { TrainExamples = parseResult.GetValue(Synthetic) ?? 0 } };
        return new JobSpec
        {
            Model = new ModelSpec { Name = parseResult.GetValue(Model)! },
            Data = data,
            Hyperparameters = new Protos.V1.Hyperparameters
            {
                Optimizer = parseResult.GetValue(Optimizer) ?? "",
                LearningRate = parseResult.GetValue(LearningRate) ?? 0,
                BatchSize = parseResult.GetValue(BatchSize) ?? 0,
                Epochs = parseResult.GetValue(Epochs) ?? 0,
                MaxSteps = parseResult.GetValue(MaxSteps) ?? 0,
                Seed = parseResult.GetValue(Seed) ?? 1,
            },
            Checkpoint = new Protos.V1.CheckpointPolicy { EverySteps = parseResult.GetValue(CheckpointEvery) ?? 0 },
            Threads = parseResult.GetValue(Threads) ?? 0,
            DisplayName = parseResult.GetValue(Name) ?? "",
        };
    }
}
