using System.CommandLine;
using System.Text.RegularExpressions;
using GridTrain.Cli.Errors;
using GridTrain.Cli.Output;
using GridTrain.Client;
using GridTrain.Protos.V1;

namespace GridTrain.Cli.Commands.Sessions;

/// <summary>
/// <c>gridtrain session cp LOCAL ses-…:PATH</c> and <c>cp ses-…:PATH LOCAL</c> (files and directories, SHA-256
/// verified, all or nothing), and the workspace listing of <c>session ls ses-… [PATH]</c>.
/// </summary>
internal static partial class SessionFilesCommand
{
    public static Command Copy(CliContext context)
    {
        var controller = new ControllerOption(context);
        var source = new Argument<string>("SOURCE") { Description = "A local file or directory, or ses-ID:PATH in a session's workspace" };
        var destination = new Argument<string>("DESTINATION") { Description = "ses-ID:PATH in a session's workspace, or a local path" };
        var command = new Command("cp", "Copy a file or directory into or out of a session's workspace (SHA-256 verified, all or nothing)") { source, destination, controller };
        command.SetAction(async (parseResult, ct) =>
        {
            var (from, to) = (parseResult.GetValue(source)!, parseResult.GetValue(destination)!);
            var (fromRemote, toRemote) = (Remote(from), Remote(to));
            if ((fromRemote is null) == (toRemote is null))
            {
                throw new CliException("session cp: name exactly one side as ses-ID:PATH, e.g. session cp data.csv ses-0123456789ab:data/ or session cp ses-0123456789ab:out ./out", ExitCodes.Usage);
            }

            using var client = controller.Connect(parseResult);
            if (toRemote is { } target)
            {
                if (!File.Exists(from) && !Directory.Exists(from))
                {
                    throw new CliException($"session cp: '{from}' does not exist", ExitCodes.Usage);
                }

                var uploaded = await client.UploadAsync(target.SessionId, from, target.Path, ct);
                await context.Out.WriteLineAsync($"copied {uploaded.Files} file(s), {Formats.Bytes(uploaded.Bytes)}, to {target.SessionId}:{uploaded.Path}");
            }
            else
            {
                var origin = fromRemote!.Value;
                try
                {
                    var (path, files, bytes) = await client.DownloadAsync(origin.SessionId, origin.Path, to, ct);
                    await context.Out.WriteLineAsync($"copied {files} file(s), {Formats.Bytes(bytes)}, to {path}");
                }
                catch (Exception ex) when (ex is InvalidDataException or IOException)
                {
                    throw new CliException($"session cp: {ex.Message}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>The workspace listing, for <c>session ls ID [PATH]</c>.</summary>
    public static async Task<int> ListAsync(CliContext context, GridTrainClient client, string sessionId, string path, OutputFormat format, CancellationToken cancellationToken)
    {
        var listing = await client.Sessions.ListFilesAsync(new ListFilesRequest { SessionId = sessionId, Path = path }, deadline: context.CallDeadline(), cancellationToken: cancellationToken);
        context.Print(format, listing, (writer, _) =>
        {
            var table = new Table("NAME", "TYPE", "SIZE", "MODIFIED");
            foreach (var entry in listing.Entries)
            {
                table.Add(entry.Name, entry.Type.ToString().ToLowerInvariant(), entry.Type == FileType.File ? Formats.Bytes(entry.Size) : "-", Formats.Time(entry.ModifiedAt));
            }

            table.WriteTo(writer);
        });
        return ExitCodes.Success;
    }

    private static (string SessionId, string Path)? Remote(string argument) =>
        RemotePattern().Match(argument) is { Success: true } match ? (match.Groups[1].Value, match.Groups[2].Value) : null;

    [GeneratedRegex("^(ses-[0-9a-z]+):(.*)$")]
    private static partial Regex RemotePattern();
}
