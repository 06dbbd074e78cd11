using Npgsql;

namespace GridTrain.Controller.Leadership;

/// <summary>
/// The leader lease in PostgreSQL: one row <c>gt_leader(id = 1, holder, term, expires_at, address)</c>. Its own
/// connections carry a lock timeout, so a replica never waits behind a paused leader's open transaction.
/// </summary>
public sealed class PostgresLeaderLeaseTable : ILeaderLeaseTable, IAsyncDisposable
{
    internal const string Schema = "CREATE TABLE IF NOT EXISTS gt_leader (id INTEGER PRIMARY KEY, holder TEXT NOT NULL, term BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL, address TEXT NOT NULL)";

    private readonly NpgsqlDataSource _dataSource;

    private PostgresLeaderLeaseTable(NpgsqlDataSource dataSource) => _dataSource = dataSource;

    /// <summary>Connects with <paramref name="connectionString"/> and creates the table if needed.</summary>
    public static async Task<PostgresLeaderLeaseTable> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.Options = $"{builder.Options} -c lock_timeout=1000 -c statement_timeout=3000".Trim();
        var table = new PostgresLeaderLeaseTable(NpgsqlDataSource.Create(builder.ConnectionString));
        await using var command = table._dataSource.CreateCommand(Schema);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return table;
    }

    public async Task<long?> TryAcquireAsync(string holder, string address, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "INSERT INTO gt_leader (id, holder, term, expires_at, address) VALUES (1, @holder, 1, now() + @ttl, @address) "
            + "ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, term = gt_leader.term + 1, expires_at = excluded.expires_at, address = excluded.address "
            + "WHERE gt_leader.expires_at < now() RETURNING term");
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("ttl", ttl);
        command.Parameters.AddWithValue("address", address);
        return await command.ExecuteScalarAsync(cancellationToken) is long term ? term : null;
    }

    public async Task<bool> RenewAsync(string holder, long term, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "UPDATE gt_leader SET expires_at = now() + @ttl WHERE id = 1 AND holder = @holder AND term = @term AND expires_at > now()");
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("term", term);
        command.Parameters.AddWithValue("ttl", ttl);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    public async Task ReleaseAsync(string holder, long term, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("UPDATE gt_leader SET expires_at = now() - interval '1 millisecond' WHERE id = 1 AND holder = @holder AND term = @term");
        command.Parameters.AddWithValue("holder", holder);
        command.Parameters.AddWithValue("term", term);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<LeaderRecord?> ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand("SELECT holder, term, address, expires_at < now() FROM gt_leader WHERE id = 1");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new LeaderRecord(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetBoolean(3))
            : null;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
