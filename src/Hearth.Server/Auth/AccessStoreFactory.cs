using Hearth.Server.Configuration;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>The access tables live in the same database as the runs (same SQLite file, or same PostgreSQL database).</summary>
public static class AccessStoreFactory
{
    public static IAccessStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "postgres" => new PostgresAccessStore(options.StoreConnectionString
            ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")),
        _ => new SqliteAccessStore(options.ResolvedStorePath),
    };
}
