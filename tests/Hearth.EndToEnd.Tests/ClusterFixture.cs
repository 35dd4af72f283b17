namespace Hearth.EndToEnd.Tests;

/// <summary>One server and one agent shared by the tests of a class, on the store the subclass names.</summary>
public abstract class ClusterFixture : IAsyncLifetime
{
    protected abstract StoreKind Store { get; }

    public HearthCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await HearthCluster.StartAsync(store: Store);
        await Cluster.StartAgentAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class SqliteClusterFixture : ClusterFixture
{
    protected override StoreKind Store => StoreKind.Sqlite;
}

public sealed class PostgresClusterFixture : ClusterFixture
{
    protected override StoreKind Store => StoreKind.Postgres;
}
