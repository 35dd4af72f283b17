using Hearth.Store.Sqlite;

namespace Hearth.Store.Tests;

public sealed class SqliteRunStoreTests : RunStoreConformance
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hearth-store-").FullName;

    protected override Hearth.Store.Locks.ILockStore CreateLockStore() =>
        new Hearth.Store.Locks.SqliteLockStore(Path.Combine(_directory, "hearth.db"));

    protected override Task<IRunStore> CreateStoreAsync() =>
        Task.FromResult<IRunStore>(
            new SqliteRunStore(Path.Combine(_directory, "hearth.db"), new Hearth.Lifecycle.LifecycleRules())
        );

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
