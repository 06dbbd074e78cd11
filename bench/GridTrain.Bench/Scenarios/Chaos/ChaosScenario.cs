using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Grpc.Core;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>
/// The chaos soak: PostgreSQL, two controller replicas and three agents as processes on loopback, a stream of small
/// jobs from several users, and for N minutes faults at random (seeded); then a bounded drain and the invariants,
/// checked from the grid's own records. Prints progress, then one line of JSON; exits 1 when an invariant fails.
/// </summary>
internal static class ChaosScenario
{
    private const double FailoverBoundSeconds = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var minutes = Option(args, "--minutes", 2.0);
        var seed = (int)Option(args, "--seed", 1.0);
        var drain = TimeSpan.FromMinutes(Option(args, "--drain-minutes", 2.0));
        var keep = args.Contains("--keep");
        var time = TimeProvider.System;
        var random = new Random(seed);
        var root = Directory.CreateTempSubdirectory("gridtrain-chaos-").FullName;
        using var aborted = new CancellationTokenSource();
        // Ctrl-C and SIGTERM (timeout, CI) stop the soak the same way: everything it started is killed and removed.
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.WriteLine($"chaos: {context.Signal}; stopping everything");
            aborted.Cancel();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        Console.WriteLine($"chaos: {minutes} min of faults, seed {seed}, drain up to {drain.TotalMinutes} min, work dir {root}");
        var passed = false;
        try
        {
            await using var cluster = await ChaosCluster.StartAsync(root, aborted.Token);
            Console.WriteLine($"chaos: PostgreSQL, 2 controllers, {ChaosCluster.AgentCount} agents and the fake Drive are up");
            using var caller = new GridCaller(cluster.ControllerAddresses);
            var submitter = new JobSubmitter(caller, cluster.AdminToken, new Random(random.Next()), time);
            await submitter.CreateUsersAsync(aborted.Token);
            FaultInjector? injector = null;
            var sampler = new JobProcessSampler(root, () => injector?.SinceNetworkChange ?? TimeSpan.MaxValue, time);
            injector = new FaultInjector(cluster, caller, sampler, new Random(random.Next()), time);
            using var sampling = CancellationTokenSource.CreateLinkedTokenSource(aborted.Token);
            using var faultPhase = CancellationTokenSource.CreateLinkedTokenSource(aborted.Token);
            faultPhase.CancelAfter(TimeSpan.FromMinutes(minutes));
            var sampled = sampler.RunAsync(sampling.Token);
            var progress = ProgressAsync(submitter, injector, sampler, cluster, time, sampling.Token);
            var checker = new InvariantChecker(cluster, caller, sampler, time);
            var jobs = submitter.Submitted;
            try
            {
                await Task.WhenAll(submitter.RunAsync(faultPhase.Token), injector.RunAsync(faultPhase.Token, aborted.Token));
                aborted.Token.ThrowIfCancellationRequested();
                Console.WriteLine($"chaos: faults over ({injector.Total}); draining");
                await checker.DrainAsync(jobs, drain, aborted.Token);
            }
            finally
            {
                await sampling.CancelAsync();
                await Task.WhenAll(sampled, progress);
            }

            var report = await checker.CheckAsync(jobs, aborted.Token);
            passed = Print(minutes, seed, jobs.Count, submitter, injector, sampler, caller, report);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            Console.WriteLine("chaos: interrupted before the invariants were checked; everything it started is stopped and removed");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or RpcException or IOException)
        {
            // The grid could not be set up or checked at all: a failure of the soak, with what broke.
            Console.WriteLine($"chaos: the soak broke off: {ex}");
        }
        finally
        {
            if ((passed || aborted.IsCancellationRequested) && !keep)
            {
                Directory.Delete(root, recursive: true);
            }
            else
            {
                Console.WriteLine($"chaos: logs kept in {Path.Combine(root, "logs")}");
            }
        }

        return passed ? 0 : 1;
    }

    private static bool Print(double minutes, int seed, int submitted, JobSubmitter submitter, FaultInjector injector, JobProcessSampler sampler, GridCaller caller, InvariantReport report)
    {
        var maxFailover = injector.FailoverSeconds.Count > 0 ? Math.Round(injector.FailoverSeconds.Max(), 2) : (double?)null;
        var doubleRuns = sampler.DoubleRuns;
        Section("lost", report.Lost);
        Section("left queued or running after the drain", report.Leftover);
        Section("double runs", doubleRuns);
        Section("stale commits accepted", report.StaleCommits);
        Section("event stream gaps", report.EventGaps);
        Section("checkpoints that do not verify", report.BadCheckpoints);
        Section("INTERNAL/UNKNOWN answers", caller.Unexpected);
        Section("succeeded with a result that names no checkpoint (not an invariant; the job's latest was verified)", report.ResultsWithoutCheckpoint);
        Section("restarts that did not come back", injector.RestartFailures);
        var failed = new List<string>();
        Require(report.Lost.Count == 0, "jobs_lost", failed);
        Require(doubleRuns.Count == 0, "double_runs", failed);
        Require(report.StaleCommits.Count == 0, "stale_commits_accepted", failed);
        Require(maxFailover is null or <= FailoverBoundSeconds, "max_failover_s", failed);
        Require(report.EventGaps.Count == 0, "event_gaps", failed);
        Require(report.BadCheckpoints.Count == 0, "bad_checkpoints", failed);
        Require(caller.Unexpected.Count == 0, "internal_or_unknown", failed);
        Require(injector.RestartFailures.Count == 0, "restart_failures", failed);
        var result = new Dictionary<string, object?>
        {
            ["scenario"] = "chaos",
            ["minutes"] = minutes,
            ["faults"] = injector.Total,
            ["jobs_submitted"] = submitted,
            ["jobs_succeeded"] = report.Succeeded,
            ["jobs_lost"] = report.Lost.Count,
            ["double_runs"] = doubleRuns.Count,
            ["stale_commits_accepted"] = report.StaleCommits.Count,
            ["max_failover_s"] = maxFailover,
            ["seed"] = seed,
            ["jobs_left_running"] = report.Leftover.Count,
            ["event_gaps"] = report.EventGaps.Count,
            ["bad_checkpoints"] = report.BadCheckpoints.Count,
            ["results_without_checkpoint"] = report.ResultsWithoutCheckpoint.Count,
            ["internal_or_unknown"] = caller.Unexpected.Count,
            ["failovers_s"] = injector.FailoverSeconds.Select(s => Math.Round(s, 2)).ToList(),
            ["fault_counts"] = injector.Counts,
            ["stale_refused"] = report.StaleRefused,
            ["stale_overlaps"] = sampler.StaleOverlaps,
            ["submit_failures"] = submitter.Failures,
            ["restart_failures"] = injector.RestartFailures.Count,
            ["process_samples"] = sampler.Samples,
            ["statuses"] = caller.Statuses.ToDictionary(s => s.Key.ToString(), s => s.Value),
            ["loadavg"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "",
            ["failed"] = failed,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return failed.Count == 0;
    }

    private static async Task ProgressAsync(JobSubmitter submitter, FaultInjector injector, JobProcessSampler sampler, ChaosCluster cluster, TimeProvider time, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(15), time, cancellationToken);
                var leader = cluster.LeaderIndex() is { } l ? $"controller-{(char)('a' + l)}" : "none";
                Console.WriteLine($"chaos: {time.GetElapsedTime(started).TotalSeconds:F0}s: {injector.Total} faults, {submitter.Submitted.Count} jobs submitted, {sampler.Latest.Count} job processes, leader {leader}");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Progress ends with sampling.
        }
    }

    private static void Section(string title, IReadOnlyCollection<string> lines)
    {
        if (lines.Count > 0)
        {
            Console.WriteLine($"chaos: {title} ({lines.Count}):");
            foreach (var line in lines)
            {
                Console.WriteLine("  " + line);
            }
        }
    }

    private static void Require(bool holds, string invariant, List<string> failed)
    {
        if (!holds)
        {
            failed.Add(invariant);
        }
    }

    private static double Option(string[] args, string name, double fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? double.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
