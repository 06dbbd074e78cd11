namespace GridTrain.Domain.Agents.Health;

/// <summary>
/// The health of one machine's GPUs from check to check. A fault takes a GPU out of service at once; it comes back after
/// <see cref="GpuReadmission.CleanChecks"/> consecutive clean checks spanning <see cref="GpuReadmission.CleanWindow"/>,
/// or when an admin readmits it. Thread-safe.
/// </summary>
public sealed class GpuHealthTracker(TimeProvider time, GpuReadmission readmission)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, Entry> _gpus = [];

    /// <summary>Every GPU seen, by index.</summary>
    public IReadOnlyList<GpuHealth> Current
    {
        get
        {
            lock (_gate)
            {
                return [.. _gpus.Values.Select(e => e.Health)];
            }
        }
    }

    /// <summary>The GPU's health; healthy when it was never checked.</summary>
    public GpuHealth Of(int index, string uuid)
    {
        lock (_gate)
        {
            return _gpus.TryGetValue(index, out var entry) ? entry.Health : GpuHealth.Ok(index, uuid);
        }
    }

    /// <summary>
    /// Records a check of a GPU: <paramref name="fault"/> is what it found, null when clean. Returns the health when it
    /// changed (taken out, or readmitted), null when it did not.
    /// </summary>
    public GpuHealth? Observe(int index, string uuid, GpuFault? fault)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (!_gpus.TryGetValue(index, out var entry))
            {
                entry = _gpus[index] = new Entry(GpuHealth.Ok(index, uuid));
            }

            if (fault is not null)
            {
                entry.CleanChecks = 0;
                entry.FirstCleanAt = null;
                if (!entry.Health.Healthy)
                {
                    return null;
                }

                entry.Health = new GpuHealth(index, uuid, fault.Cause, $"{uuid} {fault.Detail}", now);
                return entry.Health;
            }

            if (entry.Health.Healthy)
            {
                return null;
            }

            entry.CleanChecks++;
            entry.FirstCleanAt ??= now;
            if (entry.CleanChecks < readmission.CleanChecks || now - entry.FirstCleanAt < readmission.CleanWindow)
            {
                return null;
            }

            return entry.Readmit();
        }
    }

    /// <summary>An admin's readmission: the GPU is healthy again now. Null when it already was (or is unknown).</summary>
    public GpuHealth? Readmit(int index)
    {
        lock (_gate)
        {
            return _gpus.TryGetValue(index, out var entry) && !entry.Health.Healthy ? entry.Readmit() : null;
        }
    }

    private sealed class Entry(GpuHealth health)
    {
        public GpuHealth Health { get; set; } = health;

        public int CleanChecks { get; set; }

        public DateTimeOffset? FirstCleanAt { get; set; }

        public GpuHealth Readmit()
        {
            Health = GpuHealth.Ok(Health.Index, Health.Uuid);
            CleanChecks = 0;
            FirstCleanAt = null;
            return Health;
        }
    }
}
