using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>State in a SQLite file in WAL mode (synchronous=NORMAL): the embedded default. Survives a crash or <c>kill -9</c> of the controller.</summary>
public sealed class SqliteGridStore : SqlGridStore
{
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writerLock = new(1, 1);
    private readonly Action _releaseWriter;
    private SqliteConnection? _writer;
    private PreparedCommands? _prepared;

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
        _releaseWriter = () => _writerLock.Release();
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

    public override async ValueTask DisposeAsync()
    {
        if (_prepared is not null)
        {
            await _prepared.DisposeAsync();
        }

        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        _writerLock.Dispose();
    }

    /// <summary>
    /// Writes go through one connection kept open, with its statements kept prepared: SQLite has one writer at a time
    /// anyway, and it skips a connection setup and the statements' preparation per save.
    /// </summary>
    private protected override async ValueTask<Lease> OpenWriterAsync(CancellationToken cancellationToken)
    {
        await _writerLock.WaitAsync(cancellationToken);
        try
        {
            _writer ??= (SqliteConnection)await OpenAsync(cancellationToken);
            _prepared ??= new PreparedCommands(_writer);
            return new Lease(_writer, _releaseWriter, _prepared);
        }
        catch
        {
            _writerLock.Release();
            throw;
        }
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
