using GridTrain.Domain.Agents;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests.Coordination;

public sealed class AgentLivenessTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void SilenceBeyondTimeout_HeardWithinTheTimeout_Alive()
    {
        var liveness = new AgentLiveness(_time, s_timeout);
        liveness.Seen("agt-1", _time.GetUtcNow());

        _time.Advance(s_timeout);

        Assert.Null(liveness.SilenceBeyondTimeout("agt-1", _time.GetUtcNow()));
    }

    [Fact]
    public void SilenceBeyondTimeout_SilentPastTheTimeout_LostWithItsSilence()
    {
        var liveness = new AgentLiveness(_time, s_timeout);
        liveness.Seen("agt-1", _time.GetUtcNow());

        _time.Advance(s_timeout + TimeSpan.FromMilliseconds(1));

        Assert.Equal(s_timeout + TimeSpan.FromMilliseconds(1), liveness.SilenceBeyondTimeout("agt-1", _time.GetUtcNow()));
    }

    [Fact]
    public void SilenceBeyondTimeout_NeverHeardSinceStart_CountsFromTheStart()
    {
        var liveness = new AgentLiveness(_time, s_timeout);

        _time.Advance(s_timeout);
        Assert.Null(liveness.SilenceBeyondTimeout("agt-stored", _time.GetUtcNow()));
        Assert.Null(liveness.LastSeen("agt-stored"));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.NotNull(liveness.SilenceBeyondTimeout("agt-stored", _time.GetUtcNow()));
    }

    [Fact]
    public void Seen_Again_RestartsTheSilence()
    {
        var liveness = new AgentLiveness(_time, s_timeout);
        liveness.Seen("agt-1", _time.GetUtcNow());
        _time.Advance(s_timeout - TimeSpan.FromMilliseconds(1));
        liveness.Seen("agt-1", _time.GetUtcNow());

        _time.Advance(s_timeout - TimeSpan.FromMilliseconds(1));

        Assert.Null(liveness.SilenceBeyondTimeout("agt-1", _time.GetUtcNow()));
        Assert.Equal(_time.GetUtcNow() - s_timeout + TimeSpan.FromMilliseconds(1), liveness.LastSeen("agt-1"));
    }

    [Fact]
    public void StartCounting_AfterASlowStart_NeverHeardAgentsGetAFullTimeoutFromThen()
    {
        var liveness = new AgentLiveness(_time, s_timeout);
        _time.Advance(s_timeout * 2);
        Assert.NotNull(liveness.SilenceBeyondTimeout("agt-stored", _time.GetUtcNow()));

        liveness.StartCounting();
        _time.Advance(s_timeout);

        Assert.Equal(_time.GetUtcNow() - s_timeout, liveness.StartedAt);
        Assert.Null(liveness.SilenceBeyondTimeout("agt-stored", _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.NotNull(liveness.SilenceBeyondTimeout("agt-stored", _time.GetUtcNow()));
    }
}
