using GridTrain.Agent.Hosting;
using GridTrain.Agent.Reporting;
using GridTrain.Domain.AgentProtocol;
using GridTrain.Domain.Coordination;
using GridTrain.Domain.Jobs;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace GridTrain.Agent.Tests;

/// <summary>Unreported attempts are kept as files under the work directory, whatever the job id says.</summary>
public sealed class UnreportedStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("gridtrain-unreported-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void SavedThenLoaded_RoundTripsEventsAndResult()
    {
        var store = Store();
        var attempt = new UnreportedAttempt("job-a", 4, [new ReportedEvent(7, new CheckpointWritten(30, "/spool/a.pt")), new ReportedEvent(8, new LogWritten("stdout", "done"))], JobResult.Cancelled("agent shutting down"));

        store.Save(attempt);
        var loaded = Assert.Single(store.Load());

        Assert.Equal(attempt.Events, loaded.Events);
        Assert.Equal(attempt.Result, loaded.Result);
        store.Delete(loaded);
        Assert.Empty(store.Load());
    }

    [Fact]
    public void JobIdThatIsNotAPlainName_StaysInsideTheDirectory()
    {
        var store = Store();

        store.Save(new UnreportedAttempt("../../escape", 1, [], JobResult.Failed("refused")));

        var file = Assert.Single(Directory.GetFiles(Path.Combine(_root, "unreported")));
        Assert.StartsWith("refused-", Path.GetFileName(file), StringComparison.Ordinal);
        Assert.Equal("../../escape", Assert.Single(store.Load()).JobId);
        Assert.Single(Directory.GetFileSystemEntries(_root));
    }

    private UnreportedStore Store() => new(Options.Create(new AgentOptions { WorkDirectory = _root }), NullLogger<UnreportedStore>.Instance);
}
