using GridTrain.Agent.Gpu.Health;
using GridTrain.Checkpoints.Drive;
using GridTrain.Domain.Agents;

namespace GridTrain.Agent.Hosting;

/// <summary>How an agent joins the grid and runs jobs.</summary>
public sealed class AgentOptions
{
    /// <summary>The controller's address, e.g. <c>http://controller:7070</c>. Required.</summary>
    public Uri? Controller { get; set; }

    /// <summary>Further controller replicas (PostgreSQL deployments): the agent follows whichever leads. Default: none.</summary>
    public IReadOnlyList<Uri> OtherControllers { get; set; } = [];

    /// <summary>Unique agent name (a DNS subdomain, see <see cref="AgentNames"/>); default: the machine name, lower-cased.</summary>
    public string Name { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Directory for job work directories, checkpoints and TensorBoard files. Default <c>./gridtrain-agent</c>.</summary>
    public string WorkDirectory { get; set; } = Path.GetFullPath("gridtrain-agent");

    /// <summary>CPU sessions the agent accepts at once. Default 2.</summary>
    public int CpuSlots { get; set; } = 2;

    /// <summary>Intra-op threads per job process; 0 means cores divided by CPU slots (at least 1). Default 0.</summary>
    public int ThreadsPerJob { get; set; }

    /// <summary>GPUs to advertise; null (the default) means the GPUs NVML finds, none without NVML.</summary>
    public IReadOnlyList<GpuDevice>? Gpus { get; set; }

    /// <summary>The job process entry point (<c>GridTrain.Worker.dll</c>); default: next to the agent's own assemblies.</summary>
    public string? WorkerPath { get; set; }

    /// <summary>Upper bound of the reconnect backoff; lowered to a third of the controller's agent timeout once it is known. Default 5 seconds.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a job process gets to stop after SIGTERM before it is killed. Default 5 seconds.</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long shutting down may take: job processes get <see cref="StopGracePeriod"/> of it to stop, and their last
    /// reports the rest to reach the controller; what has not by then is saved under the work directory and reported
    /// after the next registration. At least <see cref="StopGracePeriod"/>. Default 20 seconds (the Helm chart gives agents 30).
    /// </summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Deadline of each unary call to the controller. Default 10 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The join token Register carries (a Kubernetes Secret in production). Required; never logged.</summary>
    public string? JoinToken { get; set; }

    /// <summary>PEM CA certificate to verify the controller's certificate with, for a private CA; unset: the system's roots.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate for controllers that require mutual TLS from agents; needs <see cref="ClientKeyFile"/>.</summary>
    public string? ClientCertificateFile { get; set; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; set; }
    /// <summary>
    /// Where committed checkpoints go: <c>local</c> (the work directory; resuming on another machine needs it shared)
    /// or <c>gdrive</c> (Google Drive, configured by <see cref="Drive"/>). Jobs always write to a local spool first.
    /// Default <c>local</c>.
    /// </summary>
    public string CheckpointStore { get; set; } = "local";

    /// <summary>Google Drive settings, for the <c>gdrive</c> store and for datasets in Drive folders.</summary>
    public DriveOptions Drive { get; set; } = new();

    /// <summary>Besides the newest <c>keep_last</c>, keep the stored checkpoint with the best test accuracy. Default true.</summary>
    public bool KeepBestCheckpoint { get; set; } = true;

    /// <summary>The most bytes a session's workspace (<c>WORK_DIR/sessions/&lt;id&gt;/workspace</c>) may hold. Default 20 GiB.</summary>
    public long WorkspaceLimitBytes { get; set; } = 20L << 30;

    /// <summary>
    /// <c>UID:GID</c> that user code (exec, command jobs) runs as, when the agent runs as root; null (the default): the
    /// agent's own user.
    /// </summary>
    public string? RunAs { get; set; }

    /// <summary>How GPUs' health is checked, and when a GPU out of service comes back.</summary>
    public GpuHealthOptions GpuHealth { get; set; } = new();

    /// <summary>Problems with the options, each with a hint.</summary>
    public IEnumerable<string> Validate()
    {
        if (Controller is null || Controller.Scheme is not ("http" or "https"))
        {
            yield return "Controller: set the controller's address, e.g. http://127.0.0.1:7070 (--controller or GRIDTRAIN_CONTROLLER)";
        }

        if (string.IsNullOrWhiteSpace(JoinToken))
        {
            yield return "JoinToken: set the agent join token (--join-token-file or GRIDTRAIN_JOIN_TOKEN)";
        }

        if ((ClientCertificateFile is null) != (ClientKeyFile is null))
        {
            yield return "ClientCertificateFile: set both the client certificate and its key file";
        }

        if (!AgentNames.IsValid(Name))
        {
            yield return $"Name: '{Name}' is not {AgentNames.Rule}; set --name";
        }

        if (CpuSlots is < 0 or > 1024)
        {
            yield return $"CpuSlots: must be between 0 and 1024, got {CpuSlots}";
        }

        if (ThreadsPerJob is < 0 or > 256)
        {
            yield return $"ThreadsPerJob: must be between 0 and 256, got {ThreadsPerJob}";
        }

        if (MaxReconnectDelay <= TimeSpan.Zero)
        {
            yield return $"MaxReconnectDelay: must be positive, got {MaxReconnectDelay}";
        }

        if (CallTimeout <= TimeSpan.Zero)
        {
            yield return $"CallTimeout: must be positive, got {CallTimeout}";
        }

        if (StopGracePeriod < TimeSpan.Zero)
        {
            yield return $"StopGracePeriod: must not be negative, got {StopGracePeriod}";
        }

        if (ShutdownGracePeriod < StopGracePeriod)
        {
            yield return $"ShutdownGracePeriod: must be at least StopGracePeriod ({StopGracePeriod}), got {ShutdownGracePeriod}";
        }

        if (WorkspaceLimitBytes <= 0)
        {
            yield return $"WorkspaceLimitBytes: must be positive, got {WorkspaceLimitBytes} (--workspace-limit)";
        }

        if (RunAs is not null && !IsRunAs(RunAs))
        {
            yield return $"RunAs: '{RunAs}' is not UID:GID (numbers, e.g. 1000:1000) (--run-as)";
        }

        foreach (var problem in GpuHealth.Validate())
        {
            yield return problem;
        }

        if (CheckpointStore is not ("local" or "gdrive"))
        {
            yield return $"CheckpointStore: must be local or gdrive, got '{CheckpointStore}' (--checkpoint-store)";
        }
        else if (CheckpointStore == "gdrive")
        {
            foreach (var problem in Drive.Validate())
            {
                yield return problem;
            }
        }
    }

    /// <summary>
    /// The reconnect backoff's cap: <see cref="MaxReconnectDelay"/>, but at most a third of the controller's agent
    /// timeout once known, so that an agent retries several times before a restarted controller would declare it lost.
    /// </summary>
    internal TimeSpan ReconnectCap(TimeSpan? agentTimeout) =>
        agentTimeout is { } timeout && timeout > TimeSpan.Zero && timeout / 3 < MaxReconnectDelay ? timeout / 3 : MaxReconnectDelay;

    private static bool IsRunAs(string value)
    {
        try
        {
            _ = UserCode.UserProcessStart.ParseRunAs(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    internal int ResolveThreads(int requested)
    {
        if (requested > 0)
        {
            return requested;
        }

        return ThreadsPerJob > 0 ? ThreadsPerJob : Math.Max(1, Environment.ProcessorCount / Math.Max(1, CpuSlots));
    }
}
