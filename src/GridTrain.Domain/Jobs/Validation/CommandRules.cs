namespace GridTrain.Domain.Jobs.Validation;

/// <summary>
/// Rules of <c>spec.command</c>: a program to run, an environment without the grid's own names, a working directory
/// inside the workspace, bounded files. A command job has model <c>command</c> and no data; a built-in job no command.
/// </summary>
internal static class CommandRules
{
    private const string GridPrefix = "GRIDTRAIN_";

    public static void Check(JobSpec spec, List<string> errors)
    {
        if (spec.Command is not { } command)
        {
            if (spec.Model.Name == ModelKind.Command)
            {
                errors.Add("spec.model.name: 'command' is the model of a command job; set spec.command (argv) instead of a model");
            }

            return;
        }

        if (spec.Model.Name != ModelKind.Command || spec.Model.HiddenSizes.Count > 0 || spec.Model.TorchScript is not null)
        {
            errors.Add("spec.model: a command job runs its own program; leave the model unset");
        }

        if (spec.Data != new DataSpec())
        {
            errors.Add("spec.data: a command job reads its own data; leave data unset (use spec.command.files or spec.command.drive_folder_id)");
        }

        CheckArgv(command, errors);
        CheckEnvironment(command, errors);
        CheckWorkingDirectory(command.WorkingDirectory, errors);
        if (command.Files is { Length: > CommandSpec.MaxFilesBytes } files)
        {
            errors.Add($"spec.command.files: the archive is {files.Length} bytes, over the limit of {CommandSpec.MaxFilesBytes} bytes (3 MiB); keep large data in Drive (drive_folder_id) or copy it with session cp");
        }

        if (command.DriveFolderId is { } folder && !SpecText.IsDriveId(folder))
        {
            errors.Add($"spec.command.drive_folder_id: must be a Drive folder id (letters, digits, '-' and '_'), got '{SpecText.Truncate(folder)}'");
        }
    }

    private static void CheckArgv(CommandSpec command, List<string> errors)
    {
        if (command.Argv.Count == 0 || string.IsNullOrWhiteSpace(command.Argv[0]))
        {
            errors.Add("spec.command.argv: empty; name the program to run, e.g. -- python3 train.py");
        }

        if (command.Argv.Count > CommandSpec.MaxArguments)
        {
            errors.Add($"spec.command.argv: at most {CommandSpec.MaxArguments} arguments, got {command.Argv.Count}");
        }

        if (command.Argv.Any(a => a.Contains('\0', StringComparison.Ordinal)))
        {
            errors.Add("spec.command.argv: an argument contains a NUL character");
        }

        var length = command.Argv.Sum(a => a.Length) + command.Environment.Sum(e => e.Key.Length + e.Value.Length);
        if (length > CommandSpec.MaxTextLength)
        {
            errors.Add($"spec.command: argv and environment hold {length} characters, over the limit of {CommandSpec.MaxTextLength}; put long inputs in a file (spec.command.files)");
        }
    }

    private static void CheckEnvironment(CommandSpec command, List<string> errors)
    {
        if (command.Environment.Count > CommandSpec.MaxVariables)
        {
            errors.Add($"spec.command.environment: at most {CommandSpec.MaxVariables} variables, got {command.Environment.Count}");
        }

        foreach (var (name, value) in command.Environment)
        {
            if (name.StartsWith(GridPrefix, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"spec.command.environment: '{SpecText.Truncate(name)}' starts with {GridPrefix}, which the grid sets itself (see docs/user-code.md)");
            }
            else if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Any(char.IsControl) || name.Contains(' ', StringComparison.Ordinal))
            {
                errors.Add($"spec.command.environment: '{SpecText.Truncate(name)}' is not a variable name (no '=', spaces or control characters)");
            }
            else if (value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add($"spec.command.environment.{SpecText.Truncate(name)}: the value contains a NUL character");
            }
        }
    }

    private static void CheckWorkingDirectory(string directory, List<string> errors)
    {
        if (directory.Length == 0)
        {
            return;
        }

        var parts = directory.Replace('\\', '/').Split('/');
        if (directory.StartsWith('/') || Path.IsPathRooted(directory) || parts.Contains("..") || directory.Contains('\0', StringComparison.Ordinal) || directory.Length > 1024)
        {
            errors.Add($"spec.command.working_directory: must be a path inside the session's workspace (relative, without '..'), got '{SpecText.Truncate(directory)}'");
        }
    }
}
