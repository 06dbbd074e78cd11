using GridTrain.Agent.Hosting;
using GridTrain.Agent.Jobs.Commands;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>
/// Starts each built-in job as a child process of the training worker (<c>GridTrain.Worker.dll</c>), and each command job
/// as the user's own program (<see cref="CommandLauncher"/>).
/// </summary>
internal sealed class WorkerLauncher(IOptions<AgentOptions> options, CommandLauncher commands, TimeProvider time) : IJobLauncher
{
    private readonly string _workerPath = options.Value.WorkerPath ?? Path.Combine(AppContext.BaseDirectory, "GridTrain.Worker.dll");

    public IJobProcess Start(JobLaunch launch)
    {
        if (launch.Request.Spec.IsCommand)
        {
            return commands.Start(launch);
        }

        try
        {
            return WorkerProcess.Start(launch.Request, launch.GpuIndexes, _workerPath, launch.RequestPath, time);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            throw new JobLaunchException(ex.Message, ex);
        }
    }
}
