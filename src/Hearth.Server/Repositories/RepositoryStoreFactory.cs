using Hearth.Server.Configuration;
using Hearth.Store.Repositories;

namespace Hearth.Server.Repositories;

/// <summary>The repository table lives beside the runs (same SQLite file, or same PostgreSQL database).</summary>
public static class RepositoryStoreFactory
{
    public static IRepositoryStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "postgres" => new PostgresRepositoryStore(options.StoreConnectionString
            ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")),
        _ => new SqliteRepositoryStore(options.ResolvedStorePath),
    };
}
