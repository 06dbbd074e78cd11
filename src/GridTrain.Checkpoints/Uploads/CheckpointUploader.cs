using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using GridTrain.Checkpoints.Drive;
using GridTrain.Checkpoints.Stores;
using Microsoft.Extensions.Logging;

namespace GridTrain.Checkpoints.Uploads;

/// <summary>
/// Stores spooled checkpoints in the background, one at a time in the order they were written, so a training loop
/// never waits on the network. Each pending upload is persisted (with its resumable session URI) under the state
/// directory until it is stored; <see cref="Recover"/> continues those of an earlier process.
/// </summary>
public sealed partial class CheckpointUploader : IAsyncDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);
    private readonly ICheckpointStore _store;
    private readonly string _stateDirectory;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private int _backlog;

    /// <param name="store">Where checkpoints go.</param>
    /// <param name="stateDirectory">Where pending uploads are persisted.</param>
    /// <param name="logger">Logs upload outcomes (never credentials).</param>
    public CheckpointUploader(ICheckpointStore store, string stateDirectory, ILogger logger)
    {
        _store = store;
        _stateDirectory = stateDirectory;
        _logger = logger;
        Directory.CreateDirectory(stateDirectory);
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Checkpoints spooled and not yet stored (for a backlog gauge).</summary>
    public int Backlog => Volatile.Read(ref _backlog);

    public ICheckpointStore Store => _store;

    /// <summary>
    /// Queues a spooled checkpoint; the task completes with its store URI once it is stored and verified, or fails
    /// with the reason (a <see cref="DriveException"/> that is not transient, or retries exhausted).
    /// </summary>
    public Task<string> EnqueueAsync(SpooledCheckpoint checkpoint)
    {
        var record = new UploadRecord
        {
            JobId = checkpoint.JobId,
            LeaseEpoch = checkpoint.LeaseEpoch,
            Attempt = checkpoint.Attempt,
            Step = checkpoint.Step,
            Path = checkpoint.Path,
            Metric = checkpoint.Metric,
        };
        Persist(record);
        return Queue(record);
    }

    /// <summary>Resumes the uploads a previous process left pending; returns them with their outcomes.</summary>
    public IReadOnlyList<(SpooledCheckpoint Checkpoint, Task<string> Stored)> Recover()
    {
        var recovered = new List<(SpooledCheckpoint, Task<string>)>();
        foreach (var file in Directory.EnumerateFiles(_stateDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            UploadRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<UploadRecord>(File.ReadAllText(file), s_json);
            }
            catch (JsonException ex)
            {
                Log.UnreadableRecord(_logger, file, ex);
                File.Delete(file);
                continue;
            }

            if (record is null || !File.Exists(record.Path))
            {
                File.Delete(file);
                continue;
            }

            Log.Resuming(_logger, record.JobId, record.Step, record.Session is not null);
            recovered.Add((ToCheckpoint(record), Queue(record)));
        }

        return recovered;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stopping.CancelAsync();
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private Task<string> Queue(UploadRecord record)
    {
        var pending = new Pending(record, new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));
        Interlocked.Increment(ref _backlog);
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _backlog);
            pending.Stored.TrySetException(new ObjectDisposedException(nameof(CheckpointUploader)));
        }

        return pending.Stored.Task;
    }

    private async Task RunAsync()
    {
        await foreach (var pending in _queue.Reader.ReadAllAsync(CancellationToken.None))
        {
            try
            {
                if (_stopping.IsCancellationRequested)
                {
                    Interlocked.Decrement(ref _backlog);
                    pending.Stored.TrySetCanceled(_stopping.Token);
                    continue;
                }

                var record = pending.Record;
                UploadProgress progress = null!;
                progress = new UploadProgress
                {
                    Session = record.Session,
                    Changed = () =>
                    {
                        record.Session = progress.Session;
                        Persist(record);
                        return Task.CompletedTask;
                    },
                };
                var uri = await _store.StoreAsync(ToCheckpoint(record), progress, _stopping.Token);
                File.Delete(RecordPath(record));
                Log.Stored(_logger, record.JobId, record.Step, uri);
                Interlocked.Decrement(ref _backlog);
                pending.Stored.TrySetResult(uri);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // Shutting down: the record stays, the next process resumes the upload.
                Interlocked.Decrement(ref _backlog);
                pending.Stored.TrySetCanceled(_stopping.Token);
            }
            catch (Exception ex)
            {
                File.Delete(RecordPath(pending.Record));
                Log.Failed(_logger, pending.Record.JobId, pending.Record.Step, ex.Message);
                Interlocked.Decrement(ref _backlog);
                pending.Stored.TrySetException(ex);
            }
        }
    }

    private static SpooledCheckpoint ToCheckpoint(UploadRecord record) =>
        new(record.JobId, record.LeaseEpoch, record.Attempt, record.Step, record.Path, record.Metric);

    private void Persist(UploadRecord record)
    {
        var path = RecordPath(record);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(record, s_json));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    private string RecordPath(UploadRecord record) =>
        Path.Combine(_stateDirectory, string.Create(CultureInfo.InvariantCulture, $"{record.JobId}-e{record.LeaseEpoch}-{record.Step:D12}.json"));

    private sealed record Pending(UploadRecord Record, TaskCompletionSource<string> Stored);

    private static partial class Log
    {
        [LoggerMessage(EventId = 300, EventName = "CheckpointStored", Level = LogLevel.Information, Message = "Checkpoint of job {JobId} at step {Step} stored as {Uri}")]
        public static partial void Stored(ILogger logger, string jobId, long step, string uri);

        [LoggerMessage(EventId = 301, EventName = "CheckpointStoreFailed", Level = LogLevel.Warning, Message = "Checkpoint of job {JobId} at step {Step} was not stored: {Reason}")]
        public static partial void Failed(ILogger logger, string jobId, long step, string reason);

        [LoggerMessage(EventId = 302, EventName = "CheckpointUploadResuming", Level = LogLevel.Information, Message = "Resuming the upload of job {JobId}'s checkpoint at step {Step} (open session: {HasSession})")]
        public static partial void Resuming(ILogger logger, string jobId, long step, bool hasSession);

        [LoggerMessage(EventId = 303, EventName = "UploadRecordUnreadable", Level = LogLevel.Warning, Message = "Dropping the unreadable upload record {Path}")]
        public static partial void UnreadableRecord(ILogger logger, string path, Exception exception);
    }
}
