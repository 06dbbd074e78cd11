using System.Globalization;
using System.Text.RegularExpressions;
using Grpc.Core;
using GridTrain.Protos.V1;

namespace GridTrain.Bench.Scenarios.Chaos;

/// <summary>What the checker found, job by job.</summary>
internal sealed record InvariantReport
{
    public int Succeeded { get; init; }

    /// <summary>Jobs FAILED or CANCELLED (the soak cancels nothing), missing, or RUNNING without a process (stuck).</summary>
    public List<string> Lost { get; init; } = [];

    /// <summary>Jobs still QUEUED or RUNNING after the drain.</summary>
    public List<string> Leftover { get; init; } = [];

    /// <summary>Checkpoints committed under a lease epoch the job had already moved away from.</summary>
    public List<string> StaleCommits { get; init; } = [];

    public List<string> EventGaps { get; init; } = [];

    public List<string> BadCheckpoints { get; init; } = [];

    /// <summary>Succeeded jobs whose result names no checkpoint though the job has one (the final attempt wrote none).</summary>
    public List<string> ResultsWithoutCheckpoint { get; init; } = [];

    /// <summary>Stale reports or uploads the grid refused (evidence the fencing worked), from the processes' logs.</summary>
    public int StaleRefused { get; init; }
}

/// <summary>
/// Checks the grid's own records once the faults have stopped: each submitted job's state, its event stream (gap-free
/// sequence numbers; no checkpoint committed under an epoch the job had left), its final checkpoint on Drive; and the
/// controllers' and agents' logs for refused stale reports.
/// </summary>
internal sealed partial class InvariantChecker(ChaosCluster cluster, GridCaller caller, JobProcessSampler sampler, TimeProvider time)
{
    /// <summary>A RUNNING job with no process seen for this long is stuck, not running.</summary>
    private static readonly TimeSpan s_stuckAfter = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);

    /// <summary>Waits up to <paramref name="limit"/> for every submitted job to finish; prints progress.</summary>
    public async Task DrainAsync(IReadOnlyCollection<SubmittedJob> jobs, TimeSpan limit, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (true)
        {
            var list = await ListAsync(cancellationToken);
            var open = jobs.Count(j => !list.TryGetValue(j.Id, out var job) || job.State is JobState.Queued or JobState.Running);
            if (open == 0 || time.GetElapsedTime(started) > limit)
            {
                Console.WriteLine($"chaos: drain: {open} of {jobs.Count} jobs still queued or running after {time.GetElapsedTime(started).TotalSeconds:F0}s");
                return;
            }

            await Task.Delay(TimeSpan.FromSeconds(2), time, cancellationToken);
        }
    }

    public async Task<InvariantReport> CheckAsync(IReadOnlyCollection<SubmittedJob> jobs, CancellationToken cancellationToken)
    {
        var report = new InvariantReport();
        var list = await ListAsync(cancellationToken);
        var succeeded = 0;
        foreach (var submitted in jobs)
        {
            if (!list.TryGetValue(submitted.Id, out var job))
            {
                report.Lost.Add($"{submitted.Id} ({submitted.Kind}, {submitted.User}): missing from the controller's list");
                continue;
            }

            switch (job.State)
            {
                case JobState.Succeeded:
                    succeeded++;
                    if (job.Result?.CheckpointUri is not { Length: > 0 } && job.LatestCheckpoint is { Length: > 0 } latest)
                    {
                        report.ResultsWithoutCheckpoint.Add($"{job.Id} ({submitted.Kind}): attempt {job.Attempt}'s result names no checkpoint; the job's latest is {latest}");
                    }

                    var (source, uri) = job.Result?.CheckpointUri is { Length: > 0 } named ? ("its result's", named) : ("its latest", job.LatestCheckpoint);
                    var bad = uri is { Length: > 0 } ? DriveCheckpointVerifier.Verify(cluster.Drive, job.Id, uri) : "it succeeded without any checkpoint";
                    if (bad is not null)
                    {
                        var onDrive = DriveCheckpointVerifier.Describe(cluster.Drive, job.Id);
                        report.BadCheckpoints.Add(
                            $"{job.Id} ({submitted.Kind}), attempt {job.Attempt} (resumed from '{job.ResumedFrom}'): {source} checkpoint '{uri}' (latest '{job.LatestCheckpoint}'): {bad}; "
                            + $"the job's files on Drive: {(onDrive.Count == 0 ? "none" : string.Join("; ", onDrive))}");
                    }

                    break;
                case JobState.Running when sampler.SinceSeen(job.Id) is not { } seen || seen > s_stuckAfter:
                    report.Lost.Add($"{job.Id} ({submitted.Kind}, {submitted.User}): RUNNING at attempt {job.Attempt}, but no process of it for {(sampler.SinceSeen(job.Id) is { } ago ? $"{ago.TotalSeconds:F0}s" : "the whole soak")}: stuck");
                    break;
                case JobState.Queued or JobState.Running:
                    report.Leftover.Add($"{job.Id} ({submitted.Kind}): {job.State}, attempt {job.Attempt}");
                    break;
                default:
                    report.Lost.Add($"{job.Id} ({submitted.Kind}, {submitted.User}): {job.State} at attempt {job.Attempt}: {job.Result?.Reason}");
                    break;
            }

            if (job.State is not (JobState.Queued or JobState.Running))
            {
                // A live job's stream stays open until it finishes: only finished jobs' streams are read whole.
                await CheckEventsAsync(job, report, cancellationToken);
            }
        }

        var staleRefused = cluster.AllProcesses.Sum(p => p.LinesContaining("stale lease").Count + p.LinesContaining("Deleted the stale checkpoint").Count);
        return report with { Succeeded = succeeded, StaleRefused = staleRefused };
    }

    private async Task CheckEventsAsync(Job job, InvariantReport report, CancellationToken cancellationToken)
    {
        var events = await caller.CallAsync(
            "StreamJobEvents",
            cluster.AdminToken,
            async (invoker, options) =>
            {
                var all = new List<JobEvent>();
                using var call = new JobService.JobServiceClient(invoker).StreamJobEvents(new StreamJobEventsRequest { JobId = job.Id }, options);
                while (await call.ResponseStream.MoveNext(options.CancellationToken))
                {
                    all.Add(call.ResponseStream.Current);
                }

                return all;
            },
            s_patience,
            cancellationToken);
        var sequences = events.Select(e => e.Sequence).ToList();
        if (!sequences.SequenceEqual(Enumerable.Range(1, sequences.Count).Select(i => (long)i)) || sequences.Count != job.LastEventSequence)
        {
            var gaps = sequences.Zip(sequences.Skip(1)).Where(p => p.Second != p.First + 1).Select(p => $"{p.First}->{p.Second}");
            report.EventGaps.Add($"{job.Id}: {sequences.Count} events, last {job.LastEventSequence}, first {sequences.FirstOrDefault()}, jumps [{string.Join(' ', gaps)}]");
        }

        // Once the job was requeued, the leases (epoch and attempt) it ran under before are dead, and attempts only grow:
        // a checkpoint committed under a dead lease, or by an older attempt after a newer one's, is stale.
        var dead = new HashSet<(long Epoch, int Attempt)>();
        var current = new HashSet<(long Epoch, int Attempt)>();
        var newest = 0;
        foreach (var e in events)
        {
            if (e.StateChanged?.State == JobState.Queued)
            {
                dead.UnionWith(current);
                current.Clear();
            }
            else if (e.Checkpoint is { } checkpoint && Lease().Match(checkpoint.Uri) is { Success: true } match)
            {
                var lease = (long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture));
                if (dead.Contains(lease) || lease.Item2 < newest)
                {
                    report.StaleCommits.Add($"{job.Id}: event {e.Sequence} committed {checkpoint.Uri} (epoch {lease.Item1}, attempt {lease.Item2}) after the job had left that lease");
                }

                newest = Math.Max(newest, lease.Item2);
                current.Add(lease);
            }
        }
    }

    private async Task<Dictionary<string, Job>> ListAsync(CancellationToken cancellationToken)
    {
        var response = await caller.CallAsync(
            "ListJobs",
            cluster.AdminToken,
            (invoker, options) => new JobService.JobServiceClient(invoker).ListJobsAsync(new ListJobsRequest(), options).ResponseAsync,
            s_patience,
            cancellationToken);
        return response.Jobs.ToDictionary(j => j.Id);
    }

    [GeneratedRegex(@"-e(\d+)-a(\d+)")]
    private static partial Regex Lease();
}
