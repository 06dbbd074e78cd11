using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>State in a SQLite file in WAL mode: the embedded default. Survives a <c>kill -9</c> of the controller.</summary>
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
        // WAL makes a committed transaction durable against a process crash with NORMAL sync;
        // FULL also survives power loss.
        command.CommandText = "PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
