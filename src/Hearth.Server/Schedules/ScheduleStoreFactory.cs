using Hearth.Server.Configuration;
using Hearth.Store.Schedules;

namespace Hearth.Server.Schedules;

/// <summary>Schedules live beside the runs: the same SQLite file, or the PostgreSQL database every server shares.</summary>
public static class ScheduleStoreFactory
{
    public static IScheduleStore Create(ServerOptions options) => options.StoreDriver switch
    {
        "postgres" => new PostgresScheduleStore(options.StoreConnectionString
            ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")),
        _ => new SqliteScheduleStore(options.ResolvedStorePath),
    };
}
