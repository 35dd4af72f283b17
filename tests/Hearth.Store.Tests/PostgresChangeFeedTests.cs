using System.Threading.Channels;
using Hearth.Store.Changes;
using Npgsql;

namespace Hearth.Store.Tests;

[Collection(PostgresCollection.Name)]
public sealed class PostgresChangeFeedTests(PostgresCluster cluster)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task What_one_server_publishes_reaches_the_others_but_not_itself()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var first = new PostgresChangeFeed(database, TimeProvider.System);
        await using var second = new PostgresChangeFeed(database, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var heardByFirst = Listen(first, stop.Token, out var firstListening);
        var heardBySecond = Listen(second, stop.Token, out var secondListening);
        await WaitForListenersAsync(database, 2);

        first.Publish("run:a");
        first.Publish("work");
        Assert.Equal("run:a", await ReadAsync(heardBySecond));
        Assert.Equal("work", await ReadAsync(heardBySecond));

        second.Publish("stop:t1");
        Assert.Equal("stop:t1", await ReadAsync(heardByFirst));
        // The first server never hears its own keys: the only thing it heard is the second's.
        Assert.False(heardByFirst.TryRead(out var extra), $"heard its own key {extra}");

        await stop.CancelAsync();
        await Task.WhenAll(firstListening, secondListening);
    }

    [Fact]
    public async Task Many_keys_at_once_all_arrive_even_past_one_notifications_size()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var sender = new PostgresChangeFeed(database, TimeProvider.System);
        await using var receiver = new PostgresChangeFeed(database, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var heard = Listen(receiver, stop.Token, out var listening);
        await WaitForListenersAsync(database, 1);

        var keys = Enumerable.Range(0, 2000).Select(i => $"run:{i:D12}").ToList();
        foreach (var key in keys)
            sender.Publish(key);

        var received = new HashSet<string>();
        while (received.Count < keys.Count)
            received.Add(await ReadAsync(heard));
        Assert.Equal(keys.ToHashSet(), received);
        await stop.CancelAsync();
        await listening;
    }

    [Fact]
    public async Task A_lost_listening_session_is_reopened_and_waiters_are_told_to_look_again()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var sender = new PostgresChangeFeed(database, TimeProvider.System);
        await using var receiver = new PostgresChangeFeed(database, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        var resyncs = Channel.CreateUnbounded<bool>();
        var heard = Channel.CreateUnbounded<string>();
        var listening = receiver.ListenAsync(
            k => heard.Writer.TryWrite(k),
            () => resyncs.Writer.TryWrite(true),
            stop.Token
        );
        await WaitForListenersAsync(database, 1);

        await TerminateListenersAsync(database);
        await resyncs.Reader.ReadAsync(new CancellationTokenSource(Deadline).Token);
        await WaitForListenersAsync(database, 1);

        sender.Publish("run:after");
        Assert.Equal("run:after", await ReadAsync(heard.Reader));
        await stop.CancelAsync();
        await listening;
    }

    private static ChannelReader<string> Listen(IChangeFeed feed, CancellationToken ct, out Task listening)
    {
        var heard = Channel.CreateUnbounded<string>();
        listening = feed.ListenAsync(k => heard.Writer.TryWrite(k), () => { }, ct);
        return heard.Reader;
    }

    private static async Task<string> ReadAsync(ChannelReader<string> reader)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        return await reader.ReadAsync(deadline.Token);
    }

    /// <summary>
    /// A key published before a session listens is not delivered to it: wait until the sessions are there.
    /// </summary>
    private static async Task WaitForListenersAsync(string database, int count)
    {
        var until = DateTime.UtcNow + Deadline;
        while (await ListenersAsync(database) < count)
        {
            Assert.True(DateTime.UtcNow < until, $"fewer than {count} listening sessions after {Deadline}");
            await Task.Delay(20);
        }
    }

    private static async Task<long> ListenersAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = 'hearth-changes-listen' AND query LIKE 'LISTEN%';",
            connection
        );
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task TerminateListenersAsync(string database)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                + "AND application_name = 'hearth-changes-listen';",
            connection
        );
        await command.ExecuteNonQueryAsync();
    }
}
