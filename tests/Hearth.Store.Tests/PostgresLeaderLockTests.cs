using Hearth.Store.Postgres;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Hearth.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresLeaderLockTests(PostgresCluster cluster)
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task One_server_leads_and_another_takes_over_when_its_session_dies()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var first = new PostgresLeaderLock(database, _time, TimeSpan.FromSeconds(5));
        await using var second = new PostgresLeaderLock(database, _time, TimeSpan.FromSeconds(5));

        Assert.True(await first.CheckAsync(CancellationToken.None));
        Assert.False(await second.CheckAsync(CancellationToken.None));
        Assert.True(await first.CheckAsync(CancellationToken.None));

        await TerminateLockHolderAsync(database);
        Assert.False(await first.CheckAsync(CancellationToken.None));
        Assert.False(first.IsLeader);
        Assert.False(await second.CheckAsync(CancellationToken.None)); // tried less than RetryEvery ago

        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(await second.CheckAsync(CancellationToken.None));
        Assert.False(await first.CheckAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Disposing_the_leader_hands_leadership_over()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var follower = new PostgresLeaderLock(database, _time, TimeSpan.FromSeconds(1));
        var leader = new PostgresLeaderLock(database, _time, TimeSpan.FromSeconds(1));
        Assert.True(await leader.CheckAsync(CancellationToken.None));
        Assert.False(await follower.CheckAsync(CancellationToken.None));

        await leader.DisposeAsync();
        await WaitUntilNoLockAsync(database);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(await follower.CheckAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Servers_migrating_at_once_apply_each_migration_once()
    {
        var database = await cluster.CreateDatabaseAsync();
        var stores = Enumerable
            .Range(0, 4)
            .Select(_ => new PostgresRunStore(database, new Hearth.Lifecycle.LifecycleRules()))
            .ToList();

        await Task.WhenAll(stores.Select(s => s.MigrateAsync(CancellationToken.None)));

        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version;",
            connection
        );
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(reader.GetInt64(1), reader.GetInt64(0));
        foreach (var store in stores)
            await store.DisposeAsync();
    }

    private static async Task TerminateLockHolderAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database();
            """,
            connection
        );
        await command.ExecuteNonQueryAsync();
        await WaitUntilNoLockAsync(database);
    }

    /// <summary>
    /// A session's locks go when its backend has exited, a moment after the client sees the connection close.
    /// </summary>
    private static async Task WaitUntilNoLockAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var gone = new NpgsqlCommand(
            "SELECT COUNT(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = current_database();",
            connection
        );
        for (var i = 0; i < 500 && (long)(await gone.ExecuteScalarAsync())! > 0; i++)
            await Task.Delay(10);
    }
}
