using System.Collections.Concurrent;
using GridTrain.Domain.Security;

namespace GridTrain.Controller.Security;

/// <summary>
/// Per-credential token buckets: a sustained rate per second, bursts of twice that; no queueing. A bucket refills from
/// the time elapsed when it is next used, so the cost of a call is one bucket's arithmetic and nothing runs between
/// calls — with ten thousand agents each on its own credential, a timer walking every bucket would cost more than the
/// calls themselves. A bucket left unused for a minute has refilled and is the same as a new one, so such buckets are
/// dropped now and then. One in use is kept even when full: an agent heartbeating every 2 s refills its bucket between
/// calls, and dropping it would make all 10,000 agents allocate a new one every minute.
/// </summary>
internal sealed class CallRateLimiter
{
    private static readonly TimeSpan s_trimEvery = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private long _trimmedAt;

    /// <param name="options">The rates.</param>
    /// <param name="time">The clock buckets refill by: real time (<see cref="TimeProvider.System"/>) in a controller.</param>
    public CallRateLimiter(ControllerSecurityOptions options, TimeProvider time)
    {
        UserRate = options.UserRequestsPerSecond;
        AgentRate = options.AgentRequestsPerSecond;
        _time = time;
        _trimmedAt = time.GetTimestamp();
    }

    public int UserRate { get; }

    public int AgentRate { get; }

    /// <summary>Buckets kept now (credentials seen lately).</summary>
    public int Tracked => _buckets.Count;

    /// <summary>True when the caller may make one more call now.</summary>
    public bool TryAcquire(Caller caller)
    {
        var rate = RateOf(caller);
        if (rate <= 0)
        {
            return true;
        }

        var now = _time.GetTimestamp();
        TrimIfDue(now);
        return _buckets.GetOrAdd(caller.RateKey, static (_, state) => new Bucket(state.rate, state.now), (rate, now)).TryTake(now, _time.TimestampFrequency);
    }

    public int RateOf(Caller caller) => caller.Role is TokenRole.Agent or TokenRole.AgentJoin ? AgentRate : UserRate;

    private void TrimIfDue(long now)
    {
        var last = Volatile.Read(ref _trimmedAt);
        if (_time.GetElapsedTime(last, now) < s_trimEvery || Interlocked.CompareExchange(ref _trimmedAt, now, last) != last)
        {
            return;
        }

        foreach (var (key, bucket) in _buckets)
        {
            if (_time.GetElapsedTime(bucket.LastUsed, now) >= s_trimEvery)
            {
                _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
            }
        }
    }

    private sealed class Bucket(int rate, long now)
    {
        private readonly Lock _lock = new();
        private readonly double _capacity = 2.0 * rate;
        private double _tokens = 2.0 * rate;
        private long _updated = now;

        public bool TryTake(long now, long frequency)
        {
            lock (_lock)
            {
                Refill(now, frequency);
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens--;
                return true;
            }
        }

        /// <summary>When a call last took from it (or it was made); a minute on it is full (it refills in 2 s).</summary>
        public long LastUsed
        {
            get
            {
                lock (_lock)
                {
                    return _updated;
                }
            }
        }

        private void Refill(long now, long frequency)
        {
            if (now > _updated)
            {
                _tokens = Math.Min(_capacity, _tokens + (now - _updated) * (double)rate / frequency);
                _updated = now;
            }
        }
    }
}
