using System.Data.Common;
using GridTrain.Domain.Agents;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Security;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>
/// The controller's state in a SQL database: one row per session, job and agent (the record as JSON), and
/// append-only event tables. <see cref="SaveAsync"/> writes a whole operation in one transaction.
/// </summary>
public abstract class SqlGridStore : IGridStore, IAsyncDisposable
{
    private readonly SqlDialect _dialect;

    private protected SqlGridStore(SqlDialect dialect) => _dialect = dialect;

    /// <summary>Creates the tables if they do not exist.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        foreach (var statement in _dialect.Schema())
        {
            await using var command = connection.CreateCommand();
            command.CommandText = statement;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask<Session?> GetSessionAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<Session>("SELECT data FROM gt_sessions WHERE id = @id", cancellationToken, ("id", id))).SingleOrDefault();

    public async ValueTask<IReadOnlyList<Session>> ListSessionsAsync(CancellationToken cancellationToken) =>
        await QueryAsync<Session>("SELECT data FROM gt_sessions", cancellationToken);

    public async ValueTask<Job?> GetJobAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<Job>("SELECT data FROM gt_jobs WHERE id = @id", cancellationToken, ("id", id))).SingleOrDefault();

    public async ValueTask<IReadOnlyList<Job>> ListJobsAsync(string? sessionId, CancellationToken cancellationToken) =>
        sessionId is null
            ? await QueryAsync<Job>("SELECT data FROM gt_jobs", cancellationToken)
            : await QueryAsync<Job>("SELECT data FROM gt_jobs WHERE session_id = @session", cancellationToken, ("session", sessionId));

    public async ValueTask<Agent?> GetAgentAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<Agent>("SELECT data FROM gt_agents WHERE id = @id", cancellationToken, ("id", id))).SingleOrDefault();

    public async ValueTask<IReadOnlyList<Agent>> ListAgentsAsync(CancellationToken cancellationToken) =>
        await QueryAsync<Agent>("SELECT data FROM gt_agents", cancellationToken);

    // Records are stored as JSON, so the indexed queries filter whole tables here; the controller reads them through
    // CachedGridStore, which answers them from its indexes.

    public async ValueTask<Agent?> FindAgentByNameAsync(string name, CancellationToken cancellationToken) =>
        (await ListAgentsAsync(cancellationToken)).FirstOrDefault(a => a.Name == name);

    public async ValueTask<IReadOnlyList<Session>> ListHeldSessionsAsync(string? agentId, CancellationToken cancellationToken) =>
        [.. (await ListSessionsAsync(cancellationToken)).Where(s => s.IsHeldOn(agentId))];

    public async ValueTask<IReadOnlyList<Session>> ListSessionsInStateAsync(SessionState state, CancellationToken cancellationToken) =>
        [.. (await ListSessionsAsync(cancellationToken)).Where(s => s.State == state)];

    public async ValueTask<IReadOnlyList<Session>> ListSessionsOfOwnerAsync(string owner, CancellationToken cancellationToken) =>
        [.. (await ListSessionsAsync(cancellationToken)).Where(s => s.Owner == owner)];

    public async ValueTask<IReadOnlyList<Job>> ListJobsInStateAsync(JobState state, CancellationToken cancellationToken) =>
        [.. (await ListJobsAsync(null, cancellationToken)).Where(j => j.State == state)];

    public async ValueTask<IReadOnlyList<JobEvent>> ReadJobEventsAsync(string jobId, long afterSequence, int limit, CancellationToken cancellationToken) =>
        await QueryAsync<JobEvent>(
            "SELECT data FROM gt_job_events WHERE job_id = @job AND sequence > @after ORDER BY sequence LIMIT @limit",
            cancellationToken,
            ("job", jobId),
            ("after", afterSequence),
            ("limit", limit));

    public async ValueTask<IReadOnlyList<SessionChange>> ReadSessionChangesAsync(string sessionId, long afterSequence, CancellationToken cancellationToken) =>
        await QueryAsync<SessionChange>(
            "SELECT data FROM gt_session_changes WHERE session_id = @session AND sequence > @after ORDER BY sequence",
            cancellationToken,
            ("session", sessionId),
            ("after", afterSequence));

    public async ValueTask SaveAsync(GridChanges changes, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await GuardAsync(connection, transaction, cancellationToken);
        await ExecuteAllAsync(connection, transaction, Statements(changes), writer.Prepared, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The statements that write <paramref name="changes"/>: upserts of records, inserts of events.</summary>
    private static IEnumerable<(string Sql, (string Name, object Value)[] Parameters)> Statements(GridChanges changes)
    {
        foreach (var session in changes.Sessions)
        {
            yield return ("INSERT INTO gt_sessions (id, data) VALUES (@id, @data) ON CONFLICT (id) DO UPDATE SET data = excluded.data", [("id", session.Id), ("data", StoredJson.Write(session))]);
        }

        foreach (var job in changes.Jobs)
        {
            yield return ("INSERT INTO gt_jobs (id, session_id, data) VALUES (@id, @session, @data) ON CONFLICT (id) DO UPDATE SET data = excluded.data", [("id", job.Id), ("session", job.SessionId), ("data", StoredJson.Write(job))]);
        }

        foreach (var agent in changes.Agents)
        {
            yield return ("INSERT INTO gt_agents (id, data) VALUES (@id, @data) ON CONFLICT (id) DO UPDATE SET data = excluded.data", [("id", agent.Id), ("data", StoredJson.Write(agent))]);
        }

        foreach (var jobEvent in changes.JobEvents)
        {
            yield return ("INSERT INTO gt_job_events (job_id, sequence, data) VALUES (@job, @sequence, @data)", [("job", jobEvent.JobId), ("sequence", jobEvent.Sequence), ("data", StoredJson.Write(jobEvent))]);
        }

        foreach (var change in changes.SessionChanges)
        {
            yield return ("INSERT INTO gt_session_changes (session_id, sequence, data) VALUES (@session, @sequence, @data)", [("session", change.SessionId), ("sequence", change.Sequence), ("data", StoredJson.Write(change))]);
        }
    }

    /// <summary>
    /// Runs the statements in the transaction: as one batch where the provider sends a batch in one round trip
    /// (PostgreSQL), so a group commit of many operations costs one exchange with the server, not one per row;
    /// otherwise (SQLite) each statement text is prepared once, in <paramref name="prepared"/> when the connection keeps
    /// its commands, and run again with each row's values.
    /// </summary>
    private static async Task ExecuteAllAsync(DbConnection connection, DbTransaction transaction, IEnumerable<(string Sql, (string Name, object Value)[] Parameters)> statements, PreparedCommands? prepared, CancellationToken cancellationToken)
    {
        if (!connection.CanCreateBatch)
        {
            await using var forThisSave = prepared is null ? new PreparedCommands(connection) : null;
            foreach (var (sql, parameters) in statements)
            {
                await (prepared ?? forThisSave!).ExecuteAsync(transaction, sql, parameters, cancellationToken);
            }

            return;
        }

        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        foreach (var (sql, parameters) in statements)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = name;
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }

            batch.BatchCommands.Add(command);
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async ValueTask<ApiToken?> GetTokenAsync(string id, CancellationToken cancellationToken) =>
        (await QueryAsync<ApiToken>("SELECT data FROM gt_tokens WHERE id = @id", cancellationToken, ("id", id))).SingleOrDefault();

    public async ValueTask<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken) =>
        await QueryAsync<ApiToken>("SELECT data FROM gt_tokens", cancellationToken);

    public async ValueTask SaveTokenAsync(ApiToken token, CancellationToken cancellationToken)
    {
        await using var writer = await OpenWriterAsync(cancellationToken);
        var connection = writer.Connection;
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await GuardAsync(connection, transaction, cancellationToken);
        await ExecuteAsync(connection, transaction, "INSERT INTO gt_tokens (id, data) VALUES (@id, @data) ON CONFLICT (id) DO UPDATE SET data = excluded.data", cancellationToken, ("id", token.Id), ("data", StoredJson.Write(token)));
        await transaction.CommitAsync(cancellationToken);
    }

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private protected abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Runs first in every write transaction; throws to refuse the write (see <see cref="PostgresGridStore"/>'s leader fence).</summary>
    private protected virtual ValueTask GuardAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>A connection for one <see cref="SaveAsync"/>; by default a fresh one from <see cref="OpenAsync"/>.</summary>
    private protected virtual async ValueTask<Lease> OpenWriterAsync(CancellationToken cancellationToken) =>
        new(await OpenAsync(cancellationToken), release: null, prepared: null);

    /// <summary>
    /// A connection lent for one save: disposed afterwards, or handed back when it is kept open, with the commands it
    /// keeps prepared (null: prepare them for this save).
    /// </summary>
    private protected readonly struct Lease(DbConnection connection, Action? release, PreparedCommands? prepared) : IAsyncDisposable
    {
        public DbConnection Connection { get; } = connection;

        public PreparedCommands? Prepared { get; } = prepared;

        public ValueTask DisposeAsync()
        {
            if (release is null)
            {
                return Connection.DisposeAsync();
            }

            release();
            return ValueTask.CompletedTask;
        }
    }

    private async Task<List<T>> QueryAsync<T>(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        AddParameters(command, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(StoredJson.Read<T>(reader.GetString(0)));
        }

        return rows;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, transaction, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        AddParameters(command, parameters);
        return command;
    }

    private static void AddParameters(DbCommand command, (string Name, object Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
    }
}
