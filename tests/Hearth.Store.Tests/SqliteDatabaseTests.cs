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
        var database = new SqliteDatabase(Path.Combine(_directory, "hearth.db"));
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
                    (2L, 1L, 30000L),
                    (
                        await PragmaAsync(connection, "synchronous"),
                        await PragmaAsync(connection, "foreign_keys"),
                        await PragmaAsync(connection, "busy_timeout")
                    )
                );
            }
        }
        Assert.Equal(2, handles.Count);
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
