namespace Hearth.EndToEnd.Tests;

/// <summary>One server and one agent shared by the tests of a class.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public HearthCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await HearthCluster.StartAsync();
        await Cluster.StartAgentAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}
