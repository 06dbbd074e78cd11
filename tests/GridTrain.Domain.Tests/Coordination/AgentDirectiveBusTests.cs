using GridTrain.Domain.AgentProtocol;

namespace GridTrain.Domain.Tests.Coordination;

public sealed class AgentDirectiveBusTests
{
    private static readonly AssignSession s_assign = new("ses-1", 1, [0]);
    private static readonly CancelJob s_cancel = new("job-1", "user");

    [Fact]
    public void Open_WithCatchUp_CatchUpComesBeforeLaterDirectives()
    {
        var bus = new AgentDirectiveBus();
        var reader = bus.Open("agt-1", [s_assign]);

        Assert.True(bus.Send("agt-1", s_cancel));

        Assert.True(reader.TryRead(out var first));
        Assert.True(reader.TryRead(out var second));
        Assert.Equal<AgentDirective>([s_assign, s_cancel], [first!, second!]);
    }

    [Fact]
    public void Send_AgentWithoutStream_Dropped()
    {
        var bus = new AgentDirectiveBus();

        Assert.False(bus.Send("agt-1", s_cancel));
        Assert.False(bus.IsOpen("agt-1"));
    }

    [Fact]
    public void Open_Again_CompletesTheEarlierStreamAndSendsToTheNewOne()
    {
        var bus = new AgentDirectiveBus();
        var earlier = bus.Open("agt-1", []);
        var later = bus.Open("agt-1", []);

        bus.Send("agt-1", s_cancel);

        Assert.True(earlier.Completion.IsCompleted);
        Assert.False(earlier.TryRead(out _));
        Assert.True(later.TryRead(out var directive));
        Assert.Equal(s_cancel, directive);
    }

    [Fact]
    public void Close_ReplacedReader_LeavesTheCurrentStreamOpen()
    {
        var bus = new AgentDirectiveBus();
        var earlier = bus.Open("agt-1", []);
        var current = bus.Open("agt-1", []);

        Assert.False(bus.Close("agt-1", earlier));

        Assert.True(bus.IsOpen("agt-1"));
        Assert.False(current.Completion.IsCompleted);
    }

    [Fact]
    public void Close_CurrentReader_CompletesIt()
    {
        var bus = new AgentDirectiveBus();
        var current = bus.Open("agt-1", []);

        Assert.True(bus.Close("agt-1", current));

        Assert.False(bus.IsOpen("agt-1"));
        Assert.True(current.Completion.IsCompleted);
    }

    [Fact]
    public void Drop_LostAgent_CompletesItsStream()
    {
        var bus = new AgentDirectiveBus();
        var current = bus.Open("agt-1", [s_assign]);

        bus.Drop("agt-1");

        Assert.False(bus.IsOpen("agt-1"));
        Assert.True(current.TryRead(out _));
        Assert.True(current.Completion.IsCompleted);
    }
}
