using GridTrain.Domain.Eviction;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;

namespace GridTrain.Domain.Tests;

/// <summary>The sweep's allocation-free deadline agrees with the explanation users read, in every case generated.</summary>
public sealed class IdlePolicyDeadlineTests
{
    private static readonly DateTimeOffset s_now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EvictionDue_IsWhatExplainSays(int seed)
    {
        var random = new Random(seed);
        DateTimeOffset Around() => s_now + TimeSpan.FromMinutes(random.Next(-180, 60));
        var states = Enum.GetValues<SessionState>();
        var jobStates = Enum.GetValues<JobState>();
        for (var i = 0; i < 2_000; i++)
        {
            var session = new Session
            {
                Id = "ses",
                Resources = ResourceRequest.Cpu,
                State = states[random.Next(states.Length)],
                CreatedAt = Around(),
                UpdatedAt = s_now,
                IdleTimeout = TimeSpan.FromMinutes(random.Next(1, 120)),
                MaxLifetime = TimeSpan.FromMinutes(random.Next(1, 600)),
                LifetimeStartedAt = Around(),
            };
            var jobs = Enumerable.Range(0, random.Next(0, 4)).Select(j => new Job
            {
                Id = $"job-{j}",
                SessionId = session.Id,
                Spec = JobSpec.ForCommand(new CommandSpec { Argv = ["python3", "train.py"] }),
                CreatedAt = Around(),
                State = jobStates[random.Next(jobStates.Length)],
                StartedAt = random.Next(3) == 0 ? null : Around(),
                LastProgressAt = random.Next(3) == 0 ? null : Around(),
            }).ToList();
            var lastActivity = Around();
            var stallTimeout = random.Next(3) == 0 ? TimeSpan.Zero : TimeSpan.FromMinutes(random.Next(1, 90));
            var lowGpu = random.Next(2) == 0 ? null : new LowGpuUtilization(Around(), 0.05);

            var explained = IdlePolicy.Explain(session, jobs, lastActivity, s_now, stallTimeout, lowGpu);
            var due = IdlePolicy.EvictionDue(session, jobs, lastActivity, s_now, stallTimeout, lowGpu);

            Assert.Equal(explained.EvictionAt, due?.At);
            Assert.Equal(explained.EvictionReason, due?.Reason);
        }
    }
}
