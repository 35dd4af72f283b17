using Hearth.Store.Postgres;

namespace Hearth.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresRunStoreTests(PostgresCluster cluster) : RunStoreConformance
{
    private string _connectionString = "";

    protected override async Task<IRunStore> CreateStoreAsync() =>
        new PostgresRunStore(
            _connectionString = await cluster.CreateDatabaseAsync(),
            new Hearth.Lifecycle.LifecycleRules()
        );

    protected override Hearth.Store.Locks.ILockStore CreateLockStore() =>
        new Hearth.Store.Locks.PostgresLockStore(_connectionString);
}
