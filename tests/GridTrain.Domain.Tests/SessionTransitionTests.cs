using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

public sealed class SessionTransitionTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 27, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Place_IncrementsLeaseEpoch_EveryTime()
    {
        var session = New();

        var first = session.Place("a", [0], 1, s_now);
        var requeued = first.Requeue("agent lost", s_now);
        var second = requeued.Place("b", [1], 1, s_now);

        Assert.Equal(1, first.LeaseEpoch);
        Assert.Equal(1, requeued.LeaseEpoch);
        Assert.Null(requeued.AgentId);
        Assert.Equal(2, second.LeaseEpoch);
        Assert.Equal("b", second.AgentId);
    }

    [Fact]
    public void End_FinalStates_AllowNoFurtherMove()
    {
        var terminated = New().End(SessionState.Terminated, "user", s_now);

        var error = Assert.Throws<GridException>(() => terminated.Place("a", [], 0, s_now));

        Assert.Equal(GridError.FailedPrecondition, error.Error);
        Assert.Contains("cannot go from Terminated to Starting", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pending_CannotBecomeBusy()
    {
        Assert.Throws<GridException>(() => New().MarkBusy("x", s_now));
    }

    private static Session New() => new() { Id = "ses-1", Resources = ResourceRequest.Cpu, CreatedAt = s_now, UpdatedAt = s_now };
}
