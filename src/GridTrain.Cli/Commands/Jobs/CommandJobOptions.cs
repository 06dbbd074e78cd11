using System.CommandLine;
using System.IO.Compression;
using Google.Protobuf;
using GridTrain.Cli.Errors;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Jobs;

/// <summary>
/// The options of <c>job submit</c> for a command job: <c>-- CMD ARGS…</c>, the user's own program, with
/// <c>--files DIR</c>, <c>--drive-folder ID</c>, <c>--env K=V</c> and <c>--workdir PATH</c>.
/// </summary>
internal sealed class CommandJobOptions
{
    public Argument<string[]> Argv { get; } = new("command")
    {
        Description = "A command job: the program and its arguments after --, run in the session's workspace (see docs/user-code.md)",
        Arity = ArgumentArity.ZeroOrMore,
        HelpName = "-- CMD ARGS",
    };

    public Option<string?> Files { get; } = new("--files") { Description = "Upload this directory with a command job (at most 3 MiB zipped), unpacked into its working directory", HelpName = "DIR" };

    public Option<string?> DriveFolder { get; } = new("--drive-folder") { Description = "Download this Google Drive folder for a command job; it finds it at GRIDTRAIN_DATA_DIR", HelpName = "ID" };

    public Option<string[]> Env { get; } = new("--env", "-e") { Description = "Set a variable for a command job (repeatable)", HelpName = "NAME=VALUE" };

    public Option<string?> Workdir { get; } = new("--workdir") { Description = "A command job's working directory, relative to the session's workspace [default: the workspace]", HelpName = "PATH" };

    public Option[] Flags => [Files, DriveFolder, Env, Workdir];

    public void AddTo(Command command)
    {
        foreach (var option in Flags)
        {
            command.Add(option);
        }

        command.Add(Argv);
    }

    /// <summary>Whether the command line names a program to run.</summary>
    public bool IsGiven(ParseResult parseResult) => parseResult.GetValue(Argv) is { Length: > 0 };

    public CommandSpec ToCommand(ParseResult parseResult)
    {
        var command = new CommandSpec
        {
            Argv = { parseResult.GetValue(Argv) ?? [] },
            WorkingDirectory = parseResult.GetValue(Workdir) ?? "",
            DriveFolderId = parseResult.GetValue(DriveFolder) ?? "",
        };
        foreach (var assignment in parseResult.GetValue(Env) ?? [])
        {
            var equals = assignment.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException($"--env {assignment}: expected NAME=VALUE", ExitCodes.Usage);
            }

            command.Environment[assignment[..equals]] = assignment[(equals + 1)..];
        }

        if (parseResult.GetValue(Files) is { } directory)
        {
            command.Files = Zip(directory, "--files");
        }

        return command;
    }

    /// <summary>A directory as the zip archive a command job carries; refused, naming its size, over the limit.</summary>
    public static ByteString Zip(string directory, string what)
    {
        var full = Path.GetFullPath(directory);
        if (!Directory.Exists(full))
        {
            throw new CliException($"{what} {directory}: not a directory", ExitCodes.Usage);
        }

        using var buffer = new MemoryStream();
        try
        {
            ZipFile.CreateFromDirectory(full, buffer, CompressionLevel.Optimal, includeBaseDirectory: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"{what} {directory}: cannot read it: {ex.Message}", ExitCodes.Usage);
        }

        if (buffer.Length > Domain.Jobs.CommandSpec.MaxFilesBytes)
        {
            throw new CliException(
                $"{what} {directory}: {buffer.Length} bytes zipped, over the limit of {Domain.Jobs.CommandSpec.MaxFilesBytes} bytes (3 MiB); keep large data in Drive (--drive-folder) or copy it with session cp",
                ExitCodes.Usage);
        }

        return ByteString.CopyFrom(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
