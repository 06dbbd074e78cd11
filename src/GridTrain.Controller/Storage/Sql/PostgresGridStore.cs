using System.Data.Common;
using GridTrain.Controller.Leadership;
using Npgsql;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>
/// State in PostgreSQL, for a replicated deployment. With a <see cref="LeadershipFence"/>, every write transaction
/// first confirms, under a shared lock on the lease row, that this replica still holds the leader lease under its
/// term; otherwise it rolls back, marks the fence lost and throws <see cref="LeadershipLostException"/>.
/// </summary>
public sealed class PostgresGridStore : SqlGridStore
{
    private const string FenceCheck = "SELECT 1 FROM gt_leader WHERE id = 1 AND holder = @holder AND term = @term AND expires_at > now() FOR SHARE";

    private readonly NpgsqlDataSource _dataSource;
    private readonly LeadershipFence? _fence;
    private readonly string _idleTimeout;

    private PostgresGridStore(NpgsqlDataSource dataSource, LeadershipFence? fence, TimeSpan fenceTtl)
        : base(SqlDialect.Postgres)
    {
        _dataSource = dataSource;
        _fence = fence;
        _idleTimeout = $"{(long)fenceTtl.TotalMilliseconds}";
    }

    /// <summary>
    /// Connects with <paramref name="connectionString"/> and creates the tables if needed. With <paramref name="fence"/>,
    /// writes commit only while its term holds the lease; a transaction left idle longer than <paramref name="fenceTtl"/>
    /// (a paused leader) is ended by the server, so it cannot hold up a successor.
    /// </summary>
    public static async Task<PostgresGridStore> OpenAsync(string connectionString, CancellationToken cancellationToken, LeadershipFence? fence = null, TimeSpan? fenceTtl = null)
    {
        var store = new PostgresGridStore(NpgsqlDataSource.Create(connectionString), fence, fenceTtl ?? TimeSpan.FromSeconds(6));
        await store.InitializeAsync(cancellationToken);
        await using var command = store._dataSource.CreateCommand(PostgresLeaderLeaseTable.Schema);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return store;
    }

    public override async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();

    private protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    private protected override async ValueTask GuardAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (_fence is null)
        {
            return;
        }

        if (_fence.Term is not { } term)
        {
            await transaction.RollbackAsync(cancellationToken);
            throw new LeadershipLostException("write refused: this replica is a standby and does not lead");
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SET LOCAL idle_in_transaction_session_timeout = {_idleTimeout}; {FenceCheck}";
        AddParameter(command, "holder", term.Holder);
        AddParameter(command, "term", term.Term);
        if (await command.ExecuteScalarAsync(cancellationToken) is null)
        {
            await transaction.RollbackAsync(cancellationToken);
            var reason = $"write refused: this replica ({term.Holder}) no longer holds the leader lease of term {term.Term}";
            _fence.MarkLost(reason);
            throw new LeadershipLostException(reason);
        }
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
