using GridTrain.Domain.Coordination;

namespace GridTrain.Domain.Tests.Coordination;

public sealed class SchedulingPassesTests
{
    [Fact]
    public void RunNow_NothingWaiting_RunsWhatIsOwed()
    {
        var passes = new SchedulingPasses();

        Assert.False(passes.RunNow(owes: false));
        Assert.True(passes.RunNow(owes: true));
        Assert.False(passes.RunNow(owes: false));
    }

    [Fact]
    public void RunNow_OthersWaiting_DefersToTheLastOfThem()
    {
        var passes = new SchedulingPasses();
        passes.StartWaiting();

        Assert.False(passes.RunNow(owes: true));
        Assert.False(passes.RunNow(owes: false));

        passes.StopWaiting();
        Assert.True(passes.RunNow(owes: false));
    }

    [Fact]
    public void RunNow_UnderConstantLoad_RunsEveryMaxDeferredPasses()
    {
        var passes = new SchedulingPasses();
        passes.StartWaiting();

        var runs = Enumerable.Range(1, 3 * SchedulingPasses.MaxDeferredPasses).Where(_ => passes.RunNow(owes: true)).Count();

        Assert.Equal(3, runs);
    }
}
