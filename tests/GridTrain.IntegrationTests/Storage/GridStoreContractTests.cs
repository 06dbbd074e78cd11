using GridTrain.Controller.Storage;
using GridTrain.Controller.Storage.Sql;
using GridTrain.Domain.Jobs;
using GridTrain.Domain.Sessions;
using GridTrain.Domain.Storage;
using GridTrain.IntegrationTests.Infrastructure;

namespace GridTrain.IntegrationTests.Storage;

public sealed class InMemoryGridStoreContractTests : GridStoreContract
{
    protected override Task<IGridStore> CreateAsync() => Task.FromResult<IGridStore>(new InMemoryGridStore());

    protected override Task<IGridStore> ReopenAsync(IGridStore store) => Task.FromResult(store);
}

public sealed class SqliteGridStoreContractTests : GridStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridtrain-sqlite-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    protected override async Task<IGridStore> CreateAsync() => await SqliteGridStore.OpenAsync(Path.Combine(_directory, "controller.db"), default);

    protected override async Task<IGridStore> ReopenAsync(IGridStore store)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return await SqliteGridStore.OpenAsync(Path.Combine(_directory, "controller.db"), default);
    }

    /// <summary>The writer keeps its statements prepared between saves: one refused midway writes nothing, and the next save writes with them.</summary>
    [Fact]
    public async Task Save_AfterASaveRefusedMidway_WritesWithTheStatementsKeptPrepared()
    {
        var now = new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
        await using var store = await SqliteGridStore.OpenAsync(Path.Combine(_directory, "controller.db"), default);
        var first = new GridChanges();
        first.Append(new JobEvent("job-1", 1, now, new LogWritten("stdout", "one")));
        await store.SaveAsync(first, default);

        var refused = new GridChanges();
        refused.Put(new Session { Id = "ses-refused", Resources = ResourceRequest.Cpu, CreatedAt = now, UpdatedAt = now });
        refused.Append(new JobEvent("job-1", 2, now, new LogWritten("stdout", "two")));
        refused.Append(new JobEvent("job-1", 1, now, new LogWritten("stdout", "one again")));
        await Assert.ThrowsAsync<Microsoft.Data.Sqlite.SqliteException>(() => store.SaveAsync(refused, default).AsTask());

        var next = new GridChanges();
        next.Put(new Session { Id = "ses-next", Resources = ResourceRequest.Cpu, CreatedAt = now, UpdatedAt = now });
        next.Append(new JobEvent("job-1", 2, now, new LogWritten("stdout", "two")));
        await store.SaveAsync(next, default);

        Assert.Null(await store.GetSessionAsync("ses-refused", default));
        Assert.NotNull(await store.GetSessionAsync("ses-next", default));
        Assert.Equal(["one", "two"], (await store.ReadJobEventsAsync("job-1", 0, 10, default)).Select(e => ((LogWritten)e.Data).Text));
    }
}

/// <summary>The controller's store: the in-memory copy with its indexes, over SQLite; reopened, it loads and indexes everything again.</summary>
public sealed class CachedGridStoreContractTests : GridStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("gridtrain-cached-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    protected override async Task<IGridStore> CreateAsync() => new CachedGridStore(await SqliteGridStore.OpenAsync(Path.Combine(_directory, "controller.db"), default));

    protected override async Task<IGridStore> ReopenAsync(IGridStore store)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        return new CachedGridStore(await SqliteGridStore.OpenAsync(Path.Combine(_directory, "controller.db"), default));
    }
}

public sealed class PostgresGridStoreContractTests(PostgresServer postgres) : GridStoreContract, IClassFixture<PostgresServer>
{
    protected override async Task<IGridStore> CreateAsync() => await PostgresGridStore.OpenAsync(postgres.ConnectionString, default);

    protected override async Task<IGridStore> ReopenAsync(IGridStore store) => await PostgresGridStore.OpenAsync(postgres.ConnectionString, default);
}
