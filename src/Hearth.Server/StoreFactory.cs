using Hearth.Server.Configuration;
using Hearth.Store;
using Hearth.Store.Changes;
using Hearth.Store.Postgres;
using Hearth.Store.Sqlite;

namespace Hearth.Server;

public static class StoreFactory
{
    public static IRunStore Create(ServerOptions options) =>
        options.StoreDriver switch
        {
            "sqlite" => new SqliteRunStore(options.ResolvedStorePath, Rules()),
            "postgres" => new PostgresRunStore(
                options.StoreConnectionString
                    ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set"),
                Rules()
            ),
            _ => throw new ConfigException(
                $"store.driver: '{options.StoreDriver}' is not available in this build (expected sqlite or postgres)"
            ),
        };

    /// <summary>
    /// The lifecycle the store applies: retries' back-off loses up to a tenth at random, seeded per server.
    /// </summary>
    private static Lifecycle.LifecycleRules Rules() => new(jitter: 0.1, seed: Random.Shared.Next());

    /// <summary>
    /// Who runs the background loops: always this server on SQLite; on PostgreSQL, whichever server holds the advisory
    /// lock.
    /// </summary>
    public static ILeaderLock CreateLeaderLock(IRunStore store, TimeProvider time) =>
        store switch
        {
            PostgresRunStore postgres => new PostgresLeaderLock(postgres.ConnectionString, time),
            _ => new SingleServerLeader(),
        };

    /// <summary>
    /// How this server hears the others: PostgreSQL's NOTIFY when servers share a database; nobody else on SQLite.
    /// </summary>
    public static IChangeFeed CreateChangeFeed(IRunStore store, TimeProvider time) =>
        store switch
        {
            PostgresRunStore postgres => new PostgresChangeFeed(postgres.ConnectionString, time),
            _ => new LocalChangeFeed(),
        };
}
