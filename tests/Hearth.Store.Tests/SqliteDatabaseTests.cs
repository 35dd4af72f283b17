using Hearth.Store.Sqlite;
using Microsoft.Data.Sqlite;

namespace Hearth.Store.Tests;

/// <summary>
/// Every connection the store hands out carries its durability settings, whether the pool made it or reused it.
/// </summary>
public sealed class SqliteDatabaseTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hearth-sqlite-").FullName;

    [Fact]
    public async Task Fresh_and_pooled_connections_are_synchronous_full_with_foreign_keys_and_a_busy_timeout()
    {
        await using var database = new SqliteDatabase(Path.Combine(_directory, "hearth.db"));
        var handles = new HashSet<object>();
        for (var i = 0; i < 3; i++)
        {
            // Two at once: the second is a fresh handle while the first is out of the pool.
            await using var first = await database.OpenAsync(CancellationToken.None);
            await using var second = await database.OpenAsync(CancellationToken.None);
            foreach (var connection in new[] { first, second })
            {
                handles.Add(connection.Handle!);
                Assert.Equal(
                    (2L, 1L, 30000L, 0L),
                    (
                        await PragmaAsync(connection, "synchronous"),
                        await PragmaAsync(connection, "foreign_keys"),
                        await PragmaAsync(connection, "busy_timeout"),
                        await PragmaAsync(connection, "wal_autocheckpoint")
                    )
                );
            }
        }
        Assert.Equal(2, handles.Count);
    }

    [Fact]
    public async Task Commits_leave_the_log_to_the_background_checkpoint_which_copies_it_into_the_database_file()
    {
        var path = Path.Combine(_directory, "hearth.db");
        await using var database = new SqliteDatabase(path);
        await database.MigrateAsync("v", ["CREATE TABLE t (x BLOB NOT NULL);"], CancellationToken.None);
        // Held open throughout: SQLite checkpoints and deletes the log when a file's last connection closes (another
        // test's ClearAllPools could close the pooled ones), and that checkpoint is not the one under test.
        await using var held = await database.OpenAsync(CancellationToken.None);
        // Past SQLite's own threshold (1,000 pages): a commit would have checkpointed with the default settings.
        var (connection, tx) = await database.BeginWriteAsync(CancellationToken.None);
        await using (connection)
        {
            await using var insert = connection.CreateCommand();
            insert.Transaction = tx;
            insert.CommandText =
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
                + "INSERT INTO t SELECT randomblob(4000) FROM n;";
            await insert.ExecuteNonQueryAsync();
            await tx.CommitAsync();
        }
        var written = new FileInfo(path + "-wal").Length;
        Assert.True(written > 8_000_000, $"the log holds the commit ({written} bytes)");

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (new FileInfo(path).Length < 8_000_000)
        {
            Assert.True(DateTime.UtcNow < deadline, "the background checkpoint never copied the log");
            await Task.Delay(50);
        }
        await using var count = held.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM t;";
        Assert.Equal(2000L, (long)(await count.ExecuteScalarAsync())!);
    }

    private static async Task<long> PragmaAsync(SqliteConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name};";
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
