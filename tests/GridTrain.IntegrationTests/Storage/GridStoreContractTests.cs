using GridTrain.Controller.Storage;
using GridTrain.Controller.Storage.Sql;
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
