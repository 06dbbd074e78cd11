using System.Data.Common;

namespace GridTrain.Controller.Storage.Sql;

/// <summary>
/// Commands prepared on one connection, one per statement text, run again with each row's values. A group commit
/// writes the same few statements hundreds of times, and a burst commits many times a second: preparing each statement
/// anew cost the parse, a command, a statement handle for the finalizer to track, and their allocations, every time.
/// They live as long as the connection that prepared them (the SQLite writer's), or for one save. Not thread-safe: the
/// writer's lock serializes its users.
/// </summary>
internal sealed class PreparedCommands(DbConnection connection) : IAsyncDisposable
{
    private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="sql"/> with <paramref name="parameters"/> in <paramref name="transaction"/>, preparing it on its first use.</summary>
    public async Task ExecuteAsync(DbTransaction transaction, string sql, (string Name, object Value)[] parameters, CancellationToken cancellationToken)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            command.Transaction = transaction;
            for (var i = 0; i < parameters.Length; i++)
            {
                command.Parameters[i].Value = parameters[i].Value;
            }
        }
        else
        {
            command = SqlGridStore.Command(connection, transaction, sql, parameters);
            try
            {
                await command.PrepareAsync(cancellationToken);
            }
            catch
            {
                await command.DisposeAsync();
                throw;
            }

            _commands.Add(sql, command);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var command in _commands.Values)
        {
            await command.DisposeAsync();
        }

        _commands.Clear();
    }
}
