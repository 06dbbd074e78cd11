using GridTrain.Controller.Leadership;
using GridTrain.Controller.Storage.Sql;
using GridTrain.Domain.Security;
using GridTrain.IntegrationTests.Infrastructure;
using Npgsql;

namespace GridTrain.IntegrationTests.HighAvailability;

/// <summary>Writes on a real PostgreSQL commit only under the term that holds the leader lease.</summary>
public sealed class FencedWritesTests(PostgresServer postgres) : IClassFixture<PostgresServer>
{
    private static readonly TimeSpan s_ttl = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Write_AfterAnotherReplicaTookTheLease_IsRefused_CommitsNothing_AndMarksTheFenceLost()
    {
        var database = await CreateDatabaseAsync();
        await using var leases = await PostgresLeaderLeaseTable.OpenAsync(database, CancellationToken.None);
        var term = await leases.TryAcquireAsync("old", "http://old:7070", s_ttl, CancellationToken.None);
        using var fence = new LeadershipFence(new LeaderTerm("old", term!.Value));
        await using var store = await PostgresGridStore.OpenAsync(database, CancellationToken.None, fence, s_ttl);
        await store.SaveTokenAsync(Token("before"), CancellationToken.None);

        // The old leader's lease lapses (as while it was paused) and another replica takes it under a higher term.
        await using (var connection = new NpgsqlConnection(database))
        {
            await connection.OpenAsync();
            await using var expire = new NpgsqlCommand("UPDATE gt_leader SET expires_at = now() - interval '1 second'", connection);
            await expire.ExecuteNonQueryAsync();
        }

        var successor = await leases.TryAcquireAsync("new", "http://new:7070", s_ttl, CancellationToken.None);
        Assert.True(successor > term, $"the successor's term {successor} must exceed {term}");

        var refused = await Assert.ThrowsAsync<LeadershipLostException>(() => store.SaveTokenAsync(Token("after"), CancellationToken.None).AsTask());
        Assert.Contains($"term {term}", refused.Message, StringComparison.Ordinal);
        Assert.True(fence.Lost.IsCancellationRequested);
        Assert.NotNull(await store.GetTokenAsync("before", CancellationToken.None));
        Assert.Null(await store.GetTokenAsync("after", CancellationToken.None));
        Assert.False(await leases.RenewAsync("old", term.Value, s_ttl, CancellationToken.None));
    }

    [Fact]
    public async Task Write_BeforeTheElection_IsRefused()
    {
        var database = await CreateDatabaseAsync();
        using var fence = new LeadershipFence();
        await using var store = await PostgresGridStore.OpenAsync(database, CancellationToken.None, fence, s_ttl);

        await Assert.ThrowsAsync<LeadershipLostException>(() => store.SaveTokenAsync(Token("standby"), CancellationToken.None).AsTask());
        Assert.Null(await store.GetTokenAsync("standby", CancellationToken.None));
    }

    private static ApiToken Token(string id) => new()
    {
        Id = id,
        Subject = "alice",
        Role = TokenRole.User,
        SecretHash = new string('a', 64),
        Description = "fenced",
        CreatedBy = "admin",
        CreatedAt = new DateTimeOffset(2026, 12, 5, 8, 0, 0, TimeSpan.Zero),
    };

    private async Task<string> CreateDatabaseAsync()
    {
        var name = "fence_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = name }.ConnectionString;
    }
}
