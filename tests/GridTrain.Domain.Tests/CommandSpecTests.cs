using GridTrain.Domain.Jobs;

namespace GridTrain.Domain.Tests;

public sealed class CommandSpecTests
{
    [Fact]
    public void Validate_CommandJob_IsValidWithoutModelOrData()
    {
        var result = JobSpecValidator.Validate(JobSpec.ForCommand(new CommandSpec { Argv = ["python3", "train.py"], WorkingDirectory = "src/run" }));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.True(result.Value!.IsCommand);
    }

    [Theory]
    [InlineData("empty-argv", "spec.command.argv: empty; name the program to run, e.g. -- python3 train.py")]
    [InlineData("blank-program", "spec.command.argv: empty; name the program to run, e.g. -- python3 train.py")]
    [InlineData("grid-variable", "spec.command.environment: 'GRIDTRAIN_CHECKPOINT_DIR' starts with GRIDTRAIN_, which the grid sets itself (see docs/user-code.md)")]
    [InlineData("bad-variable", "spec.command.environment: 'A=B' is not a variable name (no '=', spaces or control characters)")]
    [InlineData("escape", "spec.command.working_directory: must be a path inside the session's workspace (relative, without '..'), got '../other'")]
    [InlineData("absolute", "spec.command.working_directory: must be a path inside the session's workspace (relative, without '..'), got '/etc'")]
    [InlineData("files", "spec.command.files: the archive is 3145729 bytes, over the limit of 3145728 bytes (3 MiB); keep large data in Drive (drive_folder_id) or copy it with session cp")]
    [InlineData("drive", "spec.command.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got 'a/b'")]
    [InlineData("with-data", "spec.data: a command job reads its own data; leave data unset (use spec.command.files or spec.command.drive_folder_id)")]
    public void Validate_BadCommand_NamesTheField(string problem, string expected)
    {
        var command = new CommandSpec { Argv = ["python3", "train.py"] };
        var spec = JobSpec.ForCommand(problem switch
        {
            "empty-argv" => command with { Argv = [] },
            "blank-program" => command with { Argv = [" ", "x"] },
            "grid-variable" => command with { Environment = new Dictionary<string, string> { ["GRIDTRAIN_CHECKPOINT_DIR"] = "/tmp" } },
            "bad-variable" => command with { Environment = new Dictionary<string, string> { ["A=B"] = "c" } },
            "escape" => command with { WorkingDirectory = "../other" },
            "absolute" => command with { WorkingDirectory = "/etc" },
            "files" => command with { Files = new byte[CommandSpec.MaxFilesBytes + 1] },
            "drive" => command with { DriveFolderId = "a/b" },
            _ => command,
        });
        if (problem == "with-data")
        {
            spec = spec with { Data = new DataSpec { IdxDirectory = "/data" } };
        }

        var result = JobSpecValidator.Validate(spec);

        Assert.Contains(expected, result.Errors);
    }

    [Fact]
    public void Validate_ModelCommandWithoutProgram_SaysToSetCommand()
    {
        var result = JobSpecValidator.Validate(new JobSpec { Model = new ModelSpec { Name = ModelKind.Command }, Data = new DataSpec() });

        Assert.Contains("spec.model.name: 'command' is the model of a command job; set spec.command (argv) instead of a model", result.Errors);
    }

    [Theory]
    [InlineData("""{"step": 120, "total_steps": 900, "epoch": 1, "loss": 0.5, "samples_per_second": 800}""")]
    [InlineData("""{"step":120,"total_steps":900,"epoch":1,"loss":0.5,"samples_per_second":800,"extra":"ignored"}""")]
    public void Events_ProgressLine_IsProgress(string line)
    {
        var parsed = CommandEvents.Parse(line, out var problem);

        Assert.Null(problem);
        Assert.Equal(new ProgressReported(120, 900, 1, 0.5, 800, 0), parsed);
    }

    [Fact]
    public void Events_AccuracyLine_IsAnEpochEvaluation()
    {
        var parsed = CommandEvents.Parse("""{"epoch": 2, "loss": 0.4, "test_loss": 0.45, "test_accuracy": 0.87}""", out var problem);

        Assert.Null(problem);
        Assert.Equal(new EpochEvaluated(2, 0.4, 0.45, 0.87), parsed);
    }

    [Theory]
    [InlineData("step 3", "not JSON")]
    [InlineData("[1, 2]", "not a JSON object")]
    [InlineData("""{"loss": 0.1}""", "needs \"step\" (progress) or \"test_accuracy\" (an epoch's evaluation)")]
    [InlineData("""{"step": "ten"}""", "\"step\" must be a finite number, got \"ten\"")]
    [InlineData("""{"step": -1}""", "\"step\" must be between 0 and")]
    [InlineData("""{"epoch": 1, "test_accuracy": 87}""", "\"test_accuracy\" must be between 0 and 1, got 87")]
    public void Events_BadLine_SaysWhy(string line, string expected)
    {
        var parsed = CommandEvents.Parse(line, out var problem);

        Assert.Null(parsed);
        Assert.NotNull(problem);
        Assert.StartsWith(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Events_BlankLine_IsNothing()
    {
        Assert.Null(CommandEvents.Parse("   ", out var problem));
        Assert.Null(problem);
    }
}
