using System.IO.Compression;
using GridTrain.Cli.Commands.Jobs;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Tests.Infrastructure;

namespace GridTrain.Cli.Tests.Commands;

/// <summary><c>command:</c> in a job file: argv, environment, working directory, and a directory uploaded with the job.</summary>
public sealed class CommandJobFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Load_Command_MapsArgvEnvironmentAndZipsTheFilesDirectory()
    {
        Directory.CreateDirectory(_temp.Combine("project", "data"));
        File.WriteAllText(_temp.Combine("project", "train.py"), "print('hi')\n");
        File.WriteAllText(_temp.Combine("project", "data", "labels.txt"), "a\nb\n");
        var path = Write("job.yaml", """
            display_name: mine
            command:
              argv: [python3, train.py, --epochs, "2"]
              environment: { SEED: "7", MODE: fast }
              working_directory: run1
              files: project
            checkpoint: { keep_last: 2 }
            """);

        var spec = JobFile.Load(path);

        Assert.Equal(["python3", "train.py", "--epochs", "2"], spec.Command.Argv);
        Assert.Equal("7", spec.Command.Environment["SEED"]);
        Assert.Equal("fast", spec.Command.Environment["MODE"]);
        Assert.Equal("run1", spec.Command.WorkingDirectory);
        Assert.Equal(2, spec.Checkpoint.KeepLast);
        using var archive = new ZipArchive(new MemoryStream(spec.Command.Files.ToByteArray()));
        Assert.Equal(["data/labels.txt", "train.py"], archive.Entries.Where(e => e.Length > 0).Select(e => e.FullName.Replace('\\', '/')).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("command:\n  argv: []\n", "job.yaml: spec.command.argv: empty; name the program to run, e.g. -- python3 train.py")]
    [InlineData("command:\n  argv: [ls]\n  environment: [A]\n", "spec.command.environment: expected a mapping of names to values")]
    [InlineData("command:\n  argv: [ls]\n  files: missing\n", "not a directory")]
    [InlineData("command:\n  argv: [ls]\nmodel: {name: cnn}\n", "job.yaml: spec.model: a command job runs its own program; leave the model unset")]
    public void Load_BadCommand_NamesTheFileAndField(string yaml, string expected)
    {
        var path = Write("job.yaml", yaml);

        var error = Assert.Throws<CliException>(() => JobFile.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = _temp.Combine(name);
        File.WriteAllText(path, content);
        return path;
    }
}
