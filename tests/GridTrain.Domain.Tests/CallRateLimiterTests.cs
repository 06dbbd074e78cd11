using GridTrain.Controller.Security;
using GridTrain.Domain.Security;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests;

public sealed class CallRateLimiterTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryAcquire_BurstOfTwiceTheRate_ThenOneCallPerRefilledToken()
    {
        var limiter = Limiter(userRate: 5);
        var alice = User("alice");

        Assert.Equal(10, Enumerable.Range(0, 12).Count(_ => limiter.TryAcquire(alice)));
        Assert.False(limiter.TryAcquire(alice));

        _time.Advance(TimeSpan.FromMilliseconds(199));
        Assert.False(limiter.TryAcquire(alice));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(limiter.TryAcquire(alice));
        Assert.False(limiter.TryAcquire(alice));

        // A long quiet spell refills the bucket to its burst size, no further.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(10, Enumerable.Range(0, 20).Count(_ => limiter.TryAcquire(alice)));
    }

    [Fact]
    public void TryAcquire_EachCredentialItsOwnBucket_AgentsAtTheAgentRate_ZeroMeansNoLimit()
    {
        var limiter = Limiter(userRate: 1, agentRate: 3);

        Assert.Equal(2, Enumerable.Range(0, 5).Count(_ => limiter.TryAcquire(User("alice"))));
        Assert.Equal(2, Enumerable.Range(0, 5).Count(_ => limiter.TryAcquire(User("bob"))));
        Assert.Equal(6, Enumerable.Range(0, 10).Count(_ => limiter.TryAcquire(new Caller("agt-1", TokenRole.Agent, "tok-agt-1"))));
        Assert.Equal(100, Enumerable.Range(0, 100).Count(_ => Limiter(userRate: 0).TryAcquire(User("carol"))));
    }

    [Fact]
    public void IdleBuckets_DroppedAfterAMinuteUnused_AndTheCredentialStartsAfreshWithNothingLost()
    {
        var limiter = Limiter(userRate: 2);
        var busy = User("busy");
        var idle = User("idle");
        Assert.True(limiter.TryAcquire(idle));
        for (var i = 0; i < 4; i++)
        {
            limiter.TryAcquire(busy);
        }

        Assert.Equal(2, limiter.Tracked);

        // Half a minute on the busy credential calls again (its bucket has refilled by then); a minute on, the idle
        // bucket, unused since, is dropped; the busy one, full but in use, is kept.
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(limiter.TryAcquire(busy));
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(limiter.TryAcquire(User("third")));
        Assert.Equal(2, limiter.Tracked);

        for (var i = 0; i < 4; i++)
        {
            limiter.TryAcquire(busy);
        }

        Assert.False(limiter.TryAcquire(busy));
        Assert.Equal(4, Enumerable.Range(0, 6).Count(_ => limiter.TryAcquire(idle)));
    }

    private CallRateLimiter Limiter(int userRate, int agentRate = 200) =>
        new(new ControllerSecurityOptions { UserRequestsPerSecond = userRate, AgentRequestsPerSecond = agentRate }, _time);

    private static Caller User(string name) => new(name, TokenRole.User, $"tok-{name}");
}
