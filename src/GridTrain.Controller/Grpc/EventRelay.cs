using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;

namespace GridTrain.Controller.Grpc;

/// <summary>
/// Sends a stream's stored events after a sequence number, then new ones as they are stored. The wait for the next
/// change is taken before each read, so an event stored between the read and the wait is not missed.
/// </summary>
internal static class EventRelay
{
    /// <param name="changes">Wakes the relay when the stream grows.</param>
    /// <param name="key">The stream's <see cref="ChangeNotifier"/> key.</param>
    /// <param name="afterSequence">Last sequence the watcher has.</param>
    /// <param name="read">Events after a sequence, in order; a full page (<paramref name="pageSize"/>) is followed by another read at once.</param>
    /// <param name="sequenceOf">An event's sequence number.</param>
    /// <param name="send">Writes one event to the watcher.</param>
    /// <param name="isComplete">True when no event will follow the given sequence (the stream ends there).</param>
    /// <param name="pageSize">Most events one read returns.</param>
    /// <param name="cancellationToken">The call's cancellation.</param>
    public static async Task RunAsync<T>(
        ChangeNotifier changes,
        string key,
        long afterSequence,
        Func<long, CancellationToken, Task<IReadOnlyList<T>>> read,
        Func<T, long> sequenceOf,
        Func<T, CancellationToken, Task> send,
        Func<long, CancellationToken, Task<bool>> isComplete,
        int pageSize,
        CancellationToken cancellationToken)
    {
        var after = Math.Max(0, afterSequence);
        while (!cancellationToken.IsCancellationRequested)
        {
            var changed = changes.NextChange(key);
            var page = await read(after, cancellationToken);
            foreach (var item in page)
            {
                await send(item, cancellationToken);
                after = sequenceOf(item);
            }

            if (page.Count >= pageSize)
            {
                continue;
            }

            if (await isComplete(after, cancellationToken))
            {
                return;
            }

            await changed.WaitAsync(cancellationToken);
        }
    }
}
