namespace GridTrain.Controller.Leadership;

/// <summary>How replicated controllers (on PostgreSQL) elect their leader.</summary>
public sealed class LeaderLeaseOptions
{
    /// <summary>How long a leader's lease lasts without renewal, on the database's clock. Default 6 s.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>How often the leader renews its lease: a third of <see cref="Ttl"/>.</summary>
    public TimeSpan RenewInterval => Ttl / 3;

    /// <summary>How often a standby tries to take an expired lease: a sixth of <see cref="Ttl"/>.</summary>
    public TimeSpan AcquireInterval => Ttl / 6;

    /// <summary>This replica's name in the lease row (unique per process). Default: host name and a random suffix.</summary>
    public string Holder { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid():N}"[..^24];

    /// <summary>Every problem with these settings, with a hint.</summary>
    public IEnumerable<string> Validate()
    {
        if (Ttl < TimeSpan.FromSeconds(1) || Ttl > TimeSpan.FromMinutes(5))
        {
            yield return $"the leader lease ({Ttl.TotalSeconds}s) must be between 1s and 5m, e.g. 6s";
        }

        if (string.IsNullOrWhiteSpace(Holder))
        {
            yield return "the replica's holder name must not be empty";
        }
    }
}
