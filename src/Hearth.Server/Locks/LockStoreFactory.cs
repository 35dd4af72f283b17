using Hearth.Server.Configuration;
using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

/// <summary>The lock tables live beside the runs (same SQLite file, or same PostgreSQL database): runs take and free locks in their own transactions.</summary>
public static class LockStoreFactory
{
    public static ILockStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "postgres" => new PostgresLockStore(options.StoreConnectionString
            ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")),
        _ => new SqliteLockStore(options.ResolvedStorePath),
    };
}
