using Hearth.Server.Configuration;
using Hearth.Store;
using Hearth.Store.Sqlite;

namespace Hearth.Server;

public static class StoreFactory
{
    public static IRunStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "sqlite" => new SqliteRunStore(options.ResolvedStorePath),
        _ => throw new ConfigException($"store.driver: '{options.StoreDriver}' is not available in this build (expected sqlite)"),
    };
}
