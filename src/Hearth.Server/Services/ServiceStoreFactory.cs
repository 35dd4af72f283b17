using Hearth.Server.Configuration;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>Projects live beside the runs: the same SQLite file, or the PostgreSQL database every server shares.</summary>
public static class ServiceStoreFactory
{
    public static IServiceStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "postgres" => new PostgresServiceStore(options.StoreConnectionString
            ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")),
        _ => new SqliteServiceStore(options.ResolvedStorePath),
    };
}
