namespace Hearth.Store.Tests;

/// <summary>
/// The shared frame of an area store's conformance tests (access, GitLab, schedules, services): each test gets a fresh
/// store on its driver, migrated twice (a second server starting changes nothing), and disposed after it.
/// </summary>
public abstract class AreaStoreConformance<TStore>(TestDatabase database) : IAsyncLifetime
    where TStore : IMigratingStore
{
    protected static readonly CancellationToken None = CancellationToken.None;

    protected TStore Store { get; private set; } = default!;

    protected abstract Task<TStore> OpenAsync(TestDatabase database);

    public async Task InitializeAsync()
    {
        Store = await OpenAsync(database);
        await Store.MigrateAsync(None);
        await Store.MigrateAsync(None);
    }

    public async Task DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
        await database.DisposeAsync();
    }
}
