using System.Data.Common;
using Npgsql;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>State in PostgreSQL, for a replicated deployment.</summary>
public sealed class PostgresGridStore : SqlGridStore
{
    private readonly NpgsqlDataSource _dataSource;

    private PostgresGridStore(NpgsqlDataSource dataSource)
        : base(SqlDialect.Postgres) => _dataSource = dataSource;

    /// <summary>Connects with <paramref name="connectionString"/> and creates the tables if needed.</summary>
    public static async Task<PostgresGridStore> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var store = new PostgresGridStore(NpgsqlDataSource.Create(connectionString));
        await store.InitializeAsync(cancellationToken);
        return store;
    }

    public override async ValueTask DisposeAsync() => await _dataSource.DisposeAsync();

    private protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);
}
