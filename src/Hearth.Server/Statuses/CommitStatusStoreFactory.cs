using Hearth.Server.Configuration;
using Hearth.Store.Statuses;

namespace Hearth.Server.Statuses;

/// <summary>The commit-status outbox lives beside the runs: the same SQLite file, or the PostgreSQL database every server shares.</summary>
public static class CommitStatusStoreFactory
{
    public static ICommitStatusStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "postgres" => new PostgresCommitStatusStore(options.StoreConnectionString
            ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")),
        _ => new SqliteCommitStatusStore(options.ResolvedStorePath),
    };
}
