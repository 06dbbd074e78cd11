using System.Threading.RateLimiting;
using GridTrain.Domain.Security;

namespace GridTrain.Controller.Security;

/// <summary>Per-credential token buckets: a sustained rate per second, bursts of twice that; no queueing.</summary>
internal sealed class CallRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<Caller> _limiter;

    public CallRateLimiter(ControllerSecurityOptions options)
    {
        UserRate = options.UserRequestsPerSecond;
        AgentRate = options.AgentRequestsPerSecond;
        _limiter = PartitionedRateLimiter.Create<Caller, string>(caller =>
        {
            var rate = RateOf(caller);
            return rate <= 0
                ? RateLimitPartition.GetNoLimiter(caller.RateKey)
                : RateLimitPartition.GetTokenBucketLimiter(caller.RateKey, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = 2 * rate,
                    TokensPerPeriod = rate,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
        });
    }

    public int UserRate { get; }

    public int AgentRate { get; }

    /// <summary>True when the caller may make one more call now.</summary>
    public bool TryAcquire(Caller caller)
    {
        using var lease = _limiter.AttemptAcquire(caller);
        return lease.IsAcquired;
    }

    public int RateOf(Caller caller) => caller.Role is TokenRole.Agent or TokenRole.AgentJoin ? AgentRate : UserRate;

    public void Dispose() => _limiter.Dispose();
}
