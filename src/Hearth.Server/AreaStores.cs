using Hearth.Server.Configuration;
using Hearth.Store;

namespace Hearth.Server;

/// <summary>
/// The stores of the areas that live beside the runs (access, locks, repositories, schedules, ...): each opened on the
/// configured driver, in the same SQLite file or PostgreSQL database as the runs, migrated before the server starts,
/// and disposed with it, last opened first.
/// </summary>
public sealed class AreaStores(ServerOptions options) : IAsyncDisposable
{
    private readonly List<IMigratingStore> _opened = [];

    public async Task<T> OpenAsync<T>(Func<string, T> postgres, Func<string, T> sqlite, CancellationToken ct)
        where T : IMigratingStore
    {
        var store = options.StoreDriver switch
        {
            "postgres" => postgres(
                options.StoreConnectionString
                    ?? throw new ConfigException("store.driver is postgres but store.connection_string is not set")
            ),
            _ => sqlite(options.ResolvedStorePath),
        };
        _opened.Add(store);
        await store.MigrateAsync(ct);
        return store;
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = _opened.Count - 1; i >= 0; i--)
        {
            if (_opened[i] is IAsyncDisposable disposable)
                await disposable.DisposeAsync();
        }
        _opened.Clear();
    }
}
