using Hearth.Store.Tests;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// One throwaway PostgreSQL cluster for the whole test run (xunit 2 has no assembly fixture): started on first use,
/// stopped and deleted when the test process exits. Each <see cref="HearthCluster"/> takes a fresh database from it.
/// If PostgreSQL cannot start, every PostgreSQL test fails with the reason.
/// </summary>
public static class SharedPostgres
{
    private static readonly Lazy<Task<PostgresCluster>> Cluster = new(StartAsync);

    public static Task<PostgresCluster> GetAsync() => Cluster.Value;

    private static async Task<PostgresCluster> StartAsync()
    {
        var cluster = new PostgresCluster();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().GetAwaiter().GetResult();
        await cluster.InitializeAsync();
        return cluster;
    }
}
