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
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, string What)> _activity = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InProgress> _inProgress = new(StringComparer.Ordinal);
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

    /// <summary>Notes client activity on a session now: <paramref name="what"/> says which (e.g. <c>keep-alive</c>, <c>exec</c>).</summary>
    public void Record(string sessionId, string what) => _activity[sessionId] = (_time.GetUtcNow(), what);

    /// <summary>
    /// Notes work on a session that lasts (an exec, a copy): the session counts as active until the returned scope is
    /// disposed, and then as active at that moment.
    /// </summary>
    public IDisposable Begin(string sessionId, string what)
    {
        Record(sessionId, what);
        _inProgress.AddOrUpdate(sessionId, _ => new InProgress(1, what), (_, seen) => seen with { Count = seen.Count + 1, What = what });
        return new Scope(this, sessionId, what);
    }

    /// <summary>The session's last activity: now while work is in progress, else the newer of the stored one and any noted since.</summary>
    public DateTimeOffset LastActivity(Session session) =>
        _inProgress.ContainsKey(session.Id) ? _time.GetUtcNow()
        : _activity.TryGetValue(session.Id, out var seen) && seen.At > session.LastActivityAt ? seen.At : session.LastActivityAt;

    /// <summary>What counted last as activity on the session, for why-idle: "exec in progress", "last activity: exec 2m ago".</summary>
    public string Describe(Session session, DateTimeOffset now)
    {
        if (_inProgress.TryGetValue(session.Id, out var running))
        {
            return $"{running.What} in progress: the session is in use";
        }

        return _activity.TryGetValue(session.Id, out var seen) && seen.At >= session.LastActivityAt
            ? $"last activity: {seen.What} {Ago(now - seen.At)} ago"
            : $"last activity: {Ago(now - session.LastActivityAt)} ago (the session started or resumed, or a job was submitted or ended)";
    }

    private static string Ago(TimeSpan span)
    {
        span = span < TimeSpan.Zero ? TimeSpan.Zero : span;
        return span.TotalHours >= 1 ? $"{span.TotalHours:0.#}h" : span.TotalMinutes >= 1 ? $"{span.TotalMinutes:0.#}m" : $"{span.TotalSeconds:0}s";
    }

    private void End(string sessionId, string what)
    {
        while (_inProgress.TryGetValue(sessionId, out var seen))
        {
            var done = seen.Count == 1
                ? _inProgress.TryRemove(new KeyValuePair<string, InProgress>(sessionId, seen))
                : _inProgress.TryUpdate(sessionId, seen with { Count = seen.Count - 1 }, seen);
            if (done)
            {
                break;
            }
        }

        Record(sessionId, what);
    }

    private sealed record InProgress(int Count, string What);

    private sealed class Scope(SessionActivity owner, string sessionId, string what) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.End(sessionId, what);
            }
        }
    }

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
