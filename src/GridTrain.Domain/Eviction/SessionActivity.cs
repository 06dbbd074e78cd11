using System.Collections.Concurrent;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Eviction;

/// <summary>
/// The signals of use that are kept in memory rather than stored (reads must not write): client activity per session,
/// and since when each session's GPUs have read below the stall threshold under which lease. After a controller
/// restart both start again, which only delays an eviction.
/// </summary>
public sealed class SessionActivity
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _activity = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (long Epoch, DateTimeOffset Since)> _lowGpuSince = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly double _gpuStallThreshold;

    /// <param name="time">The clock activity is stamped with.</param>
    /// <param name="gpuStallThreshold">GPU utilization (0–1) below which a session's GPUs count as unused; 0 turns GPU readings off.</param>
    public SessionActivity(TimeProvider time, double gpuStallThreshold)
    {
        _time = time;
        _gpuStallThreshold = gpuStallThreshold;
    }

    /// <summary>Notes client activity on a session (any call on it) now.</summary>
    public void Record(string sessionId) => _activity[sessionId] = _time.GetUtcNow();

    /// <summary>The session's last activity: the newer of the stored one and any noted since.</summary>
    public DateTimeOffset LastActivity(Session session) =>
        _activity.TryGetValue(session.Id, out var seen) && seen > session.LastActivityAt ? seen : session.LastActivityAt;

    /// <summary>
    /// Notes a GPU reading for a session validly held under <paramref name="leaseEpoch"/>: the first reading below the
    /// threshold under this lease starts the low window, any reading at or above it (or none) ends it.
    /// </summary>
    public void NoteGpuUtilization(string sessionId, long leaseEpoch, double? utilization, DateTimeOffset now)
    {
        if (_gpuStallThreshold <= 0)
        {
            return;
        }

        if (utilization is { } reading && reading < _gpuStallThreshold)
        {
            _lowGpuSince.AddOrUpdate(sessionId, (leaseEpoch, now), (_, seen) => seen.Epoch == leaseEpoch ? seen : (leaseEpoch, now));
        }
        else
        {
            _lowGpuSince.TryRemove(sessionId, out _);
        }
    }

    /// <summary>Since when the session's GPUs have been low under its current lease; null when they are not, or it holds nothing.</summary>
    public LowGpuUtilization? LowGpu(Session session) =>
        _lowGpuSince.TryGetValue(session.Id, out var low) && low.Epoch == session.LeaseEpoch && session.HoldsResources
            ? new LowGpuUtilization(low.Since, _gpuStallThreshold)
            : null;

    /// <summary>The sessions with a low-GPU window open, with the lease it was read under.</summary>
    public IReadOnlyList<(string SessionId, long LeaseEpoch)> LowGpuReadings() => [.. _lowGpuSince.Select(low => (low.Key, low.Value.Epoch))];

    /// <summary>Drops the session's GPU reading (it no longer holds that lease).</summary>
    public void ForgetGpuReading(string sessionId) => _lowGpuSince.TryRemove(sessionId, out _);

    /// <summary>Drops GPU readings of sessions that no longer hold that lease.</summary>
    internal async ValueTask ForgetStaleGpuReadingsAsync(GridTransaction tx)
    {
        foreach (var (sessionId, epoch) in LowGpuReadings())
        {
            if (await tx.FindSessionAsync(sessionId) is not { HoldsResources: true } session || session.LeaseEpoch != epoch)
            {
                ForgetGpuReading(sessionId);
            }
        }
    }
}
