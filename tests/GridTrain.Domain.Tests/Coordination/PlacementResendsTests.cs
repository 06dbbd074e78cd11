using GridTrain.Domain.AgentProtocol;
using Microsoft.Extensions.Time.Testing;

namespace GridTrain.Domain.Tests.Coordination;

public sealed class PlacementResendsTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void IsDue_UnconfirmedForTheTimeout_DueOncePerTimeout()
    {
        var resends = new PlacementResends(s_timeout);
        var placedAt = _time.GetUtcNow();

        _time.Advance(s_timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(resends.IsDue("ses-1", 1, placedAt, _time.GetUtcNow()));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(resends.IsDue("ses-1", 1, placedAt, _time.GetUtcNow()));
        resends.Resent("ses-1", 1, _time.GetUtcNow());

        _time.Advance(s_timeout - TimeSpan.FromMilliseconds(1));
        Assert.False(resends.IsDue("ses-1", 1, placedAt, _time.GetUtcNow()));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(resends.IsDue("ses-1", 1, placedAt, _time.GetUtcNow()));
    }

    [Fact]
    public void Forget_ConfirmedPlacement_NoLongerTracked()
    {
        var resends = new PlacementResends(s_timeout);
        var placedAt = _time.GetUtcNow();
        _time.Advance(s_timeout);
        resends.Resent("ses-1", 1, _time.GetUtcNow());
        Assert.Equal([("ses-1", 1L)], resends.Tracked());

        resends.Forget("ses-1", 1);

        Assert.Empty(resends.Tracked());
        Assert.True(resends.IsDue("ses-1", 1, placedAt, _time.GetUtcNow()));
    }
}
