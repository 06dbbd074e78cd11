namespace GridTrain.Controller.Hosting;

/// <summary>Where the controller keeps its state. Nothing set: in memory (lost on restart).</summary>
public sealed class ControllerStorageOptions
{
    /// <summary>A SQLite database file (WAL mode), e.g. <c>/var/lib/gridtrain/controller.db</c>. The embedded default.</summary>
    public string? SqlitePath { get; init; }

    /// <summary>A PostgreSQL connection string (Npgsql format), for a replicated deployment. Wins over <see cref="SqlitePath"/>.</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>With PostgreSQL: the leader term every write is conditioned on (replicated controllers); null: unfenced.</summary>
    public Leadership.LeadershipFence? Fence { get; init; }

    /// <summary>With <see cref="Fence"/>: the leader lease's time to live (bounds how long a paused leader's transaction may stay open).</summary>
    public TimeSpan FenceTtl { get; init; } = TimeSpan.FromSeconds(6);

    public static ControllerStorageOptions InMemory { get; } = new();

    /// <summary>SQLite in <paramref name="dataDirectory"/>/controller.db.</summary>
    public static ControllerStorageOptions InDirectory(string dataDirectory) => new() { SqlitePath = Path.Combine(dataDirectory, "controller.db") };

    public string Describe() =>
        PostgresConnectionString is not null ? "PostgreSQL" : SqlitePath is not null ? $"SQLite {SqlitePath}" : "memory (not durable)";
}
