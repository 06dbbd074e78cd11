using System.Diagnostics;
using GridTrain.IntegrationTests.Infrastructure;
using GridTrain.Protos.V1;

namespace GridTrain.IntegrationTests;

/// <summary>A controller and two real agent processes on loopback, real job processes training with TorchSharp.</summary>
[Collection(EndToEndCollection.Name)]
public sealed class EndToEndTests(TwoAgentGridFixture grid) : IClassFixture<TwoAgentGridFixture>
{
    private static readonly TimeSpan s_jobTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task TwoJobs_OnTwoAgents_BothSucceed()
    {
        var first = await grid.SubmitBatchAsync(TwoAgentGridFixture.ShortJob());
        var second = await grid.SubmitBatchAsync(TwoAgentGridFixture.ShortJob());

        var finished = await Task.WhenAll(WaitAsync(first.Id), WaitAsync(second.Id));

        Assert.All(finished, job =>
        {
            Assert.Equal(JobState.Succeeded, job.State);
            Assert.True(job.Result.Steps > 0);
            Assert.True(File.Exists(job.Result.CheckpointUri), $"checkpoint {job.Result.CheckpointUri} should exist");
            Assert.True(job.Result.HasTestAccuracy);
        });
        var ranOn = finished.Select(j => grid.Agents.Single(a => Directory.Exists(Path.Combine(a.WorkDirectory, "jobs", j.Id))).Name);
        Assert.Equal(["agent-a", "agent-b"], ranOn.Order());
    }

    [Fact]
    public async Task KilledJobProcess_FailsOnlyThatJob_WithTheCause()
    {
        var victim = await grid.SubmitBatchAsync(TwoAgentGridFixture.LongJob());
        var bystander = await grid.SubmitBatchAsync(TwoAgentGridFixture.ShortJob());
        var pid = await RunningProcessAsync(victim.Id);

        Process.GetProcessById(pid).Kill();

        var failed = await WaitAsync(victim.Id);
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Contains("SIGKILL", failed.Result.Reason, StringComparison.Ordinal);
        Assert.Equal(JobState.Succeeded, (await WaitAsync(bystander.Id)).State);
        var agents = await grid.Client.Fleet.ListAgentsAsync(new ListAgentsRequest());
        Assert.All(agents.Agents, a => Assert.Equal(AgentState.Ready, a.State));
    }

    [Fact]
    public async Task CancelledJob_ItsProcessStops()
    {
        var job = await grid.SubmitBatchAsync(TwoAgentGridFixture.LongJob());
        var pid = await RunningProcessAsync(job.Id);

        var cancelled = await grid.Client.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.Id });

        Assert.Equal(JobState.Cancelled, cancelled.State);
        await Task.WhenAny(grid.Agents.Select(a => a.WaitForLineAsync($"Job {job.Id} finished Cancelled", s_jobTimeout)));
        Assert.False(JobProcesses.IsAlive(pid), $"job process {pid} should have stopped");
        var session = await grid.Client.Sessions.GetSessionAsync(new GetSessionRequest { SessionId = job.SessionId });
        Assert.Equal(SessionState.Terminated, session.State);
    }

    private async Task<Job> WaitAsync(string jobId)
    {
        using var timeout = new CancellationTokenSource(s_jobTimeout);
        return await grid.Client.WaitForJobAsync(jobId, cancellationToken: timeout.Token);
    }

    /// <summary>Waits for the job's first progress report, then finds its process.</summary>
    private async Task<int> RunningProcessAsync(string jobId)
    {
        using var timeout = new CancellationTokenSource(s_jobTimeout);
        await foreach (var jobEvent in grid.Client.WatchJobAsync(jobId, cancellationToken: timeout.Token))
        {
            if (jobEvent.KindCase == JobEvent.KindOneofCase.Progress)
            {
                break;
            }
        }

        return JobProcesses.Find(jobId) ?? throw new InvalidOperationException($"no process found for job {jobId}");
    }
}

[CollectionDefinition(Name)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
