namespace GridTrain.Checkpoints.Stores;

/// <summary>The resumable state of one checkpoint upload; <see cref="Changed"/> persists it.</summary>
public sealed class UploadProgress
{
    /// <summary>The Drive upload session of the checkpoint file, while one is open.</summary>
    public Uri? Session { get; set; }

    /// <summary>Called after <see cref="Session"/> changes.</summary>
    public Func<Task> Changed { get; init; } = () => Task.CompletedTask;
}
