using GridTrain.Agent.Hosting;
using GridTrain.Checkpoints.Credentials;
using GridTrain.Checkpoints.Datasets;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using GridTrain.Checkpoints.Uploads;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging;

namespace GridTrain.Agent.Checkpoints;

/// <summary>
/// The agent's side of checkpoint and dataset storage: the store (local or Drive), the background uploader that moves
/// spooled checkpoints into it, fetching a checkpoint to resume from, and the Drive dataset cache.
/// </summary>
internal sealed partial class JobStorage : IAsyncDisposable
{
    /// <summary>The <see cref="IHttpClientFactory"/> client Drive calls go through.</summary>
    public const string DriveHttpClient = "GridTrain.Drive";

    private readonly DatasetCache? _datasets;

    private JobStorage(ICheckpointStore store, CheckpointUploader? uploader, DatasetCache? datasets)
    {
        Store = store;
        Uploader = uploader;
        _datasets = datasets;
    }

    public ICheckpointStore Store { get; }

    /// <summary>Null for the local store (the spool is the store).</summary>
    public CheckpointUploader? Uploader { get; }

    /// <summary>The storage <paramref name="options"/> ask for; Drive calls go through <paramref name="httpClients"/>' <see cref="DriveHttpClient"/>.</summary>
    /// <exception cref="InvalidOperationException">The Drive credentials cannot be used (the message names the source, never the secret).</exception>
    public static JobStorage Create(AgentOptions options, IHttpClientFactory httpClients, TimeProvider time, ILogger logger)
    {
        var driveConfigured = options.CheckpointStore == "gdrive"
            || !string.IsNullOrEmpty(options.Drive.CredentialsFile)
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DriveCredentials.JsonVariable));
        if (!driveConfigured)
        {
            return new JobStorage(new DirectoryCheckpointStore(), null, null);
        }

        var client = new DriveClient(httpClients.CreateClient(DriveHttpClient), DriveCredentials.Load(options.Drive), options.Drive);
        var retry = DriveRetry.Create(options.Drive, time, (ex, delay) => Log.DriveRetry(logger, ex.Message, delay));
        var datasets = new DatasetCache(client, retry, Path.Combine(options.WorkDirectory, "datasets"));
        if (options.CheckpointStore != "gdrive")
        {
            return new JobStorage(new DirectoryCheckpointStore(), null, datasets);
        }

        var store = new DriveCheckpointStore(client, retry);
        var uploader = new CheckpointUploader(store, Path.Combine(options.WorkDirectory, "uploads"), logger);
        return new JobStorage(store, uploader, datasets);
    }

    /// <summary>Whether starting this job needs downloads first (a stored checkpoint, a Drive dataset or TorchScript module).</summary>
    public bool NeedsPreparation(string? resumeFrom, JobSpec spec) =>
        (resumeFrom is not null && !Path.IsPathFullyQualified(resumeFrom)) || spec.Data.DriveFolderId is not null || spec.Model.TorchScript?.DriveFileId is not null
        || spec.Command?.DriveFolderId is not null;

    /// <summary>A local checkpoint file to resume from: a path as is, a stored checkpoint fetched into <paramref name="directory"/>.</summary>
    public async Task<ResumePoint?> ResolveResumeAsync(string jobId, string? resumeFrom, string directory, CancellationToken cancellationToken)
    {
        if (resumeFrom is null || Path.IsPathFullyQualified(resumeFrom))
        {
            return resumeFrom is null ? null : new ResumePoint(resumeFrom, resumeFrom);
        }

        if (!Store.Owns(resumeFrom))
        {
            throw new InvalidOperationException($"the job resumes from {resumeFrom}, which this agent's {Store.Kind} checkpoint store cannot read (start the agent with --checkpoint-store gdrive)");
        }

        return await Store.FetchForResumeAsync(jobId, resumeFrom, directory, cancellationToken);
    }

    /// <summary>The spec the job process gets: a Drive dataset or TorchScript module replaced by its local cached copy.</summary>
    public async Task<JobSpec> ResolveDataAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        if (spec.Data.DriveFolderId is { } folder)
        {
            var directory = await RequireDrive("spec.data.drive_folder_id", folder).GetAsync(folder, cancellationToken);
            spec = spec with { Data = spec.Data with { DriveFolderId = null, IdxDirectory = directory } };
        }

        if (spec.Model.TorchScript is { DriveFileId: { } fileId } script)
        {
            var path = await RequireDrive("spec.model.torchscript.drive_file_id", fileId).GetFileAsync(fileId, cancellationToken);
            spec = spec with { Model = spec.Model with { TorchScript = script with { DriveFileId = null, Path = path } } };
        }

        if (spec.Command is { DriveFolderId: { } commandFolder } command)
        {
            var directory = await RequireDrive("spec.command.drive_folder_id", commandFolder).GetFolderAsync(commandFolder, idxOnly: false, cancellationToken);
            spec = spec with { Command = command with { DriveFolderId = null, DataDirectory = directory } };
        }

        return spec;
    }

    private DatasetCache RequireDrive(string field, string id) =>
        _datasets ?? throw new InvalidOperationException($"{field}: agent has no Drive credentials to download {id} (--drive-credentials)");

    public async ValueTask DisposeAsync()
    {
        if (Uploader is not null)
        {
            await Uploader.DisposeAsync();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 310, EventName = "DriveRetry", Level = LogLevel.Information, Message = "Drive call failed ({Reason}); retrying in {Delay}")]
        public static partial void DriveRetry(ILogger logger, string reason, TimeSpan delay);
    }
}
