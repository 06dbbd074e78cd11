using GridTrain.Agent.Hosting;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Jobs.Processes;

/// <summary>Starts each job as a child process of the training worker (<c>GridTrain.Worker.dll</c>).</summary>
internal sealed class WorkerLauncher(IOptions<AgentOptions> options, TimeProvider time) : IJobLauncher
{
    private readonly string _workerPath = options.Value.WorkerPath ?? Path.Combine(AppContext.BaseDirectory, "GridTrain.Worker.dll");

    public IJobProcess Start(JobLaunch launch)
    {
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
