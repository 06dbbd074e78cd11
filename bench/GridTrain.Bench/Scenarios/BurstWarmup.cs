using System.Runtime;

namespace GridTrain.Bench.Scenarios;

/// <summary>
/// Brings the controller to the state a long-running one is in before a burst: its hot paths compiled at their final
/// tier and its heaps sized. The runtime compiles a method first quickly, then, after it has been called some tens of
/// times, again with profile data and again optimized; a burst's paths that ran only in a short warm-up are still
/// being compiled in the first burst (2,000 methods in one round at 10,000 agents, a fifth of the controller's CPU for
/// its first seconds). So the warm-up runs unmeasured burst rounds, each terminated like a measured one, until a round
/// compiles fewer than <see cref="QuietCompilations"/> methods or <c>maxRounds</c> have run.
/// </summary>
internal static class BurstWarmup
{
    /// <summary>A round that compiles fewer methods than this leaves the JIT quiet enough to measure.</summary>
    public const int QuietCompilations = 100;

    /// <summary>Runs the warm-up rounds; returns the methods compiled in each.</summary>
    public static async Task<List<long>> RunAsync(SessionBurst users, FleetProcesses fleet, int sessions, int maxRounds, TimeSpan settle, TimeSpan roundLimit, CancellationToken abort)
    {
        var compiled = new List<long>();
        while (compiled.Count < maxRounds && (compiled.Count == 0 || compiled[^1] >= QuietCompilations))
        {
            var before = JitInfo.GetCompiledMethodCount();
            using var roundEnd = CancellationTokenSource.CreateLinkedTokenSource(abort);
            roundEnd.CancelAfter(roundLimit);
            var round = await users.RunAsync(sessions, roundEnd.Token);
            await fleet.WaitPlacedAsync(round.Created.Keys, roundEnd.Token);
            await users.TerminateAsync(round, abort);
            await Task.Delay(settle, abort);
            compiled.Add(JitInfo.GetCompiledMethodCount() - before);
            Console.WriteLine($"warm-up round {compiled.Count}: {round.Created.Count} sessions, {compiled[^1]} methods compiled");
        }

        return compiled;
    }
}
