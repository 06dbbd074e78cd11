using System.Globalization;
using System.IO.Compression;
using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs.Processes;
using GridTrain.Agent.UserCode;
using GridTrain.Agent.Workspaces;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Jobs.Commands;

/// <summary>
/// Starts a command job's attempt: in the session's workspace (its uploaded files unpacked there once), with the
/// checkpoint it resumes from restored into its checkpoint directory, and the contract's variables
/// (<c>docs/user-code.md</c>) in its environment.
/// </summary>
internal sealed class CommandLauncher(SessionWorkspaces workspaces, IOptions<AgentOptions> options, TimeProvider time)
{
    public IJobProcess Start(JobLaunch launch)
    {
        var request = launch.Request;
        var command = request.Spec.Command ?? throw new JobLaunchException($"job {request.JobId} is not a command job");
        try
        {
            var workingDirectory = workspaces.Resolve(launch.SessionId, command.WorkingDirectory);
            Directory.CreateDirectory(workingDirectory);
            UnpackFilesOnce(launch, command, workingDirectory);

            var directories = CommandDirectories.In(request.WorkDirectory);
            Directory.CreateDirectory(directories.CheckpointDirectory);
            Directory.CreateDirectory(directories.TensorBoardDirectory);
            var resumeFrom = Restore(request.ResumeFrom, directories.CheckpointDirectory);

            if (options.Value.RunAs is { } runAs)
            {
                File.AppendAllText(directories.EventsFile, "");
                DirectoryOwner.Give(runAs, workingDirectory, directories.CheckpointDirectory, directories.TensorBoardDirectory, directories.EventsFile);
            }

            // The watcher is created after the restore: the checkpoint resumed from is not a new one.
            var outputs = new CommandOutputs(directories);
            var start = new UserProcessStart
            {
                Argv = AgentDeathWatch.Wrap(command.Argv),
                WorkingDirectory = workingDirectory,
                GpuIndexes = launch.GpuIndexes,
                Threads = request.Threads,
                Environment = Environment(launch, command, directories, resumeFrom, workspaces.PathOf(launch.SessionId)),
                RunAs = options.Value.RunAs,
            };
            return CommandProcess.Start(start, outputs, time);
        }
        catch (Exception ex) when (ex is WorkspacePathException or WorkspaceFullException or InvalidDataException)
        {
            throw new JobLaunchException(ex.Message, ex, userError: true);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new JobLaunchException(ex.Message, ex);
        }
    }

    private Dictionary<string, string> Environment(JobLaunch launch, CommandSpec command, CommandDirectories directories, string? resumeFrom, string workspace)
    {
        var environment = new Dictionary<string, string>(command.Environment, StringComparer.Ordinal)
        {
            ["GRIDTRAIN_JOB_ID"] = launch.Request.JobId,
            ["GRIDTRAIN_SESSION_ID"] = launch.SessionId,
            ["GRIDTRAIN_ATTEMPT"] = launch.Request.Attempt.ToString(CultureInfo.InvariantCulture),
            ["GRIDTRAIN_WORKSPACE"] = workspace,
            ["GRIDTRAIN_CHECKPOINT_DIR"] = directories.CheckpointDirectory,
            ["GRIDTRAIN_EVENTS"] = directories.EventsFile,
            ["GRIDTRAIN_TENSORBOARD_DIR"] = directories.TensorBoardDirectory,
            ["GRIDTRAIN_STOP_GRACE_SECONDS"] = ((int)Math.Floor(options.Value.StopGracePeriod.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
        };
        if (resumeFrom is not null)
        {
            environment["GRIDTRAIN_RESUME_FROM"] = resumeFrom;
        }

        if (command.DataDirectory is { } data)
        {
            environment["GRIDTRAIN_DATA_DIR"] = data;
        }

        return environment;
    }

    /// <summary>Copies the checkpoint to resume from into the attempt's checkpoint directory; returns its path there.</summary>
    private static string? Restore(string? resumeFrom, string checkpointDirectory)
    {
        if (resumeFrom is null)
        {
            return null;
        }

        var target = Path.Combine(checkpointDirectory, Path.GetFileName(resumeFrom));
        File.Copy(resumeFrom, target + ".tmp", overwrite: true);
        File.Move(target + ".tmp", target, overwrite: true);
        return target;
    }

    /// <summary>Unpacks the job's uploaded files into its working directory, once per job on this agent.</summary>
    private void UnpackFilesOnce(JobLaunch launch, CommandSpec command, string workingDirectory)
    {
        if (command.Files is not { Length: > 0 } files)
        {
            return;
        }

        var marker = Path.Combine(options.Value.WorkDirectory, "jobs", launch.Request.JobId, "files-unpacked");
        if (File.Exists(marker))
        {
            return;
        }

        using (var archive = new ZipArchive(new MemoryStream(files), ZipArchiveMode.Read))
        {
            workspaces.EnsureRoom(launch.SessionId, archive.Entries.Sum(e => e.Length));
            foreach (var entry in archive.Entries)
            {
                // Each entry's path is resolved like any path a user names: nothing lands outside the workspace.
                var path = workspaces.Resolve(launch.SessionId, Path.Combine(Path.GetRelativePath(workspaces.PathOf(launch.SessionId), workingDirectory), entry.FullName));
                if (entry.FullName.EndsWith('/'))
                {
                    Directory.CreateDirectory(path);
                    continue;
                }

                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                entry.ExtractToFile(path, overwrite: true);
            }
        }

        File.WriteAllText(marker, "");
    }
}
