using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>State in a SQLite file in WAL mode (synchronous=NORMAL): the embedded default. Survives a crash or <c>kill -9</c> of the controller.</summary>
public sealed class SqliteGridStore : SqlGridStore
{
    private readonly string _connectionString;

    private SqliteGridStore(string path)
        : base(SqlDialect.Sqlite)
    {
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/>.</summary>
    public static async Task<SqliteGridStore> OpenAsync(string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var store = new SqliteGridStore(path);
        await using (var connection = new SqliteConnection(store._connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode=WAL;";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await store.InitializeAsync(cancellationToken);
        return store;
    }

    private protected override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        // In WAL mode, NORMAL makes every committed transaction survive a crash or kill -9 of the controller (the WAL
        // is in the OS before COMMIT returns) without an fsync per commit; a power loss can lose the last commits
        // since the previous WAL checkpoint. Deployments that need more run PostgreSQL.
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
