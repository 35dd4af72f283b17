namespace Hearth.Store.Tests;

/// <summary>
/// Where one test's store lives: a fresh SQLite file, or a fresh database on the shared PostgreSQL cluster. A store is
/// opened on it as the server opens its area stores: one constructor per driver.
/// </summary>
public abstract class TestDatabase : IAsyncDisposable
{
    public abstract Task<T> OpenAsync<T>(Func<string, T> postgres, Func<string, T> sqlite);

    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

public sealed class SqliteTestDatabase(string prefix) : TestDatabase
{
    private readonly string _directory = Directory.CreateTempSubdirectory(prefix).FullName;

    public override Task<T> OpenAsync<T>(Func<string, T> postgres, Func<string, T> sqlite) =>
        Task.FromResult(sqlite(Path.Combine(_directory, "hearth.db")));

    public override ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

public sealed class PostgresTestDatabase(PostgresCluster cluster) : TestDatabase
{
    public override async Task<T> OpenAsync<T>(Func<string, T> postgres, Func<string, T> sqlite) =>
        postgres(await cluster.CreateDatabaseAsync());
}
