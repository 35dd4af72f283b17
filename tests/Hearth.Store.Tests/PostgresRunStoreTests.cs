using Hearth.Store.Postgres;

namespace Hearth.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresRunStoreTests(PostgresCluster cluster) : RunStoreConformance
{
    protected override async Task<IRunStore> CreateStoreAsync() => new PostgresRunStore(await cluster.CreateDatabaseAsync(), new Hearth.Lifecycle.LifecycleRules());
}
