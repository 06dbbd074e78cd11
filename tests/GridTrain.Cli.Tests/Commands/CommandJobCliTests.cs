using System.Text.Json;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Commands;

/// <summary><c>job submit -- CMD ARGS</c> against a real controller in this process (no agent, so nothing runs).</summary>
public sealed class CommandJobCliTests(ControllerFixture controller) : IClassFixture<ControllerFixture>, IDisposable
{
    private readonly TestCli _cli = new();
    private readonly string _files = Directory.CreateTempSubdirectory("gridtrain-cli-files-").FullName;

    public void Dispose() => Directory.Delete(_files, recursive: true);

    [Fact]
    public async Task Submit_Command_ListedAsCommandWithItsProgram()
    {
        var session = await CreateSessionAsync();
        File.WriteAllText(Path.Combine(_files, "train.py"), "print('hi')\n");

        var submitted = await Run("job", "submit", "--session", session, "--files", _files, "--env", "SEED=7", "--workdir", "run1", "-o", "json", "--", "python3", "train.py", "--epochs", "2");
        var jobId = JsonDocument.Parse(submitted.Out).RootElement.GetProperty("id").GetString()!;
        var listed = await Run("job", "ls", "--session", session);
        var details = await Run("job", "get", jobId);

        Assert.Equal(0, submitted.ExitCode);
        Assert.Matches($"^{jobId}  {session}  QUEUED +command +python3 ", listed.OutLines[1]);
        Assert.Contains("python3 train.py --epochs 2", details.Out, StringComparison.Ordinal);
        Assert.Contains("workspace/run1", details.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--model", "cnn", "--", "python3", "x.py" }, "--model: not with a command job (-- CMD ARGS); your program reads its own settings")]
    [InlineData(new[] { "--env", "A=1" }, "--env: for a command job; name the program after --, e.g. -- python3 train.py")]
    [InlineData(new[] { "--env", "GRIDTRAIN_EVENTS=/tmp/x", "--", "python3", "x.py" }, "spec.command.environment: 'GRIDTRAIN_EVENTS' starts with GRIDTRAIN_")]
    [InlineData(new[] { "--workdir", "../up", "--", "python3", "x.py" }, "spec.command.working_directory: must be a path inside the session's workspace")]
    public async Task Submit_BadCommand_SaysWhatIsWrong(string[] arguments, string expected)
    {
        var session = await CreateSessionAsync();

        var run = await Run(["job", "submit", "--session", session, .. arguments]);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains(expected, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_FilesOverTheLimit_RefusedNamingTheSize()
    {
        var session = await CreateSessionAsync();
        File.WriteAllBytes(Path.Combine(_files, "weights.bin"), System.Security.Cryptography.RandomNumberGenerator.GetBytes((3 * 1024 * 1024) + 1024));

        var run = await Run("job", "submit", "--session", session, "--files", _files, "--", "python3", "train.py");

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("bytes zipped, over the limit of 3145728 bytes (3 MiB); keep large data in Drive (--drive-folder) or copy it with session cp", run.Error, StringComparison.Ordinal);
    }

    private async Task<string> CreateSessionAsync()
    {
        var run = await Run("session", "create", "-o", "json");
        return JsonDocument.Parse(run.Out).RootElement.GetProperty("id").GetString()!;
    }

    private Task<CliRun> Run(params string[] args)
    {
        var separator = Array.IndexOf(args, "--");
        return separator < 0
            ? _cli.RunAsync([.. args, "--controller", controller.Address])
            : _cli.RunAsync([.. args[..separator], "--controller", controller.Address, .. args[separator..]]);
    }
}
