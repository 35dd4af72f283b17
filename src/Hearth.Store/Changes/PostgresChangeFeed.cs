using System.Net.Sockets;
using System.Threading.Channels;
using Npgsql;

namespace Hearth.Store.Changes;

/// <summary>
/// The change feed of servers sharing one PostgreSQL database: <c>NOTIFY</c> to publish, a dedicated <c>LISTEN</c>
/// session to hear the others. Keys published while a notification is being sent travel together in the next one, so
/// a busy server sends a few notifications, not one per log batch. Notifications are not durable: after a lost
/// session every waiter is told to look again.
/// </summary>
public sealed class PostgresChangeFeed : IChangeFeed
{
    private const string Channel = "hearth_changes";
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _publisher;
    private readonly string _listenConnectionString;
    private readonly TimeProvider _time;
    private readonly string _self = Convert.ToHexStringLower(Guid.NewGuid().ToByteArray());
    private readonly Channel<string> _outbox = System.Threading.Channels.Channel.CreateUnbounded<string>(
        new UnboundedChannelOptions { SingleReader = true }
    );
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sending;

    public PostgresChangeFeed(string connectionString, TimeProvider time)
    {
        _publisher = NpgsqlDataSource.Create(
            new NpgsqlConnectionStringBuilder(connectionString)
            {
                ApplicationName = "hearth-changes",
                MaxPoolSize = 2,
            }.ToString()
        );
        _listenConnectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // The session that listens is never shared and never returned to a pool.
            Pooling = false,
            KeepAlive = 5,
            TcpKeepAlive = true,
            ApplicationName = "hearth-changes-listen",
        }.ToString();
        _time = time;
        _sending = Task.Run(SendAsync);
    }

    /// <summary>
    /// Failed sends since start; the keys they carried reach the other servers only through their re-checks.
    /// </summary>
    public long SendFailures { get; private set; }

    public void Publish(string key) => _outbox.Writer.TryWrite(key);

    private async Task SendAsync()
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(_stop.Token))
            {
                keys.Clear();
                while (_outbox.Reader.TryRead(out var key))
                    keys.Add(key);
                foreach (var payload in Payloads(keys))
                    await NotifyAsync(payload);
            }
        }
        catch (OperationCanceledException) { }
    }

    private IEnumerable<string> Payloads(IEnumerable<string> keys)
    {
        var batch = new List<string>();
        var size = _self.Length;
        foreach (var key in keys)
        {
            if (batch.Count > 0 && size + key.Length + 1 > ChangePayload.MaxBytes)
            {
                yield return ChangePayload.Format(_self, batch);
                batch.Clear();
                size = _self.Length;
            }
            batch.Add(key);
            size += key.Length + 1;
        }
        if (batch.Count > 0)
            yield return ChangePayload.Format(_self, batch);
    }

    private async Task NotifyAsync(string payload)
    {
        try
        {
            await using var command = _publisher.CreateCommand("SELECT pg_notify(@channel, @payload);");
            command.Parameters.AddWithValue("channel", Channel);
            command.Parameters.AddWithValue("payload", payload);
            await command.ExecuteNonQueryAsync(_stop.Token);
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            SendFailures++;
        }
    }

    public async Task ListenAsync(Action<string> changed, Action resync, CancellationToken ct)
    {
        var retry = FirstRetry;
        var first = true;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(_listenConnectionString);
                await connection.OpenAsync(ct);
                connection.Notification += (_, e) =>
                {
                    foreach (var key in ChangePayload.Parse(e.Payload, _self))
                        changed(key);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel};", connection))
                    await listen.ExecuteNonQueryAsync(ct);
                // Whatever was published while no session listened is lost: everyone looks again.
                if (!first)
                    resync();
                first = false;
                retry = FirstRetry;
                while (true)
                    await connection.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (IsConnectionFailure(e))
            {
                first = false;
                try
                {
                    await Task.Delay(retry, _time, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                retry = retry * 2 < LastRetry ? retry * 2 : LastRetry;
            }
        }
    }

    private static bool IsConnectionFailure(Exception e) =>
        e is NpgsqlException or IOException or SocketException or TimeoutException or InvalidOperationException;

    public async ValueTask DisposeAsync()
    {
        // What was published before the stop still goes out, unless the database is away.
        _outbox.Writer.TryComplete();
        await Task.WhenAny(_sending, Task.Delay(TimeSpan.FromSeconds(1), _time));
        await _stop.CancelAsync();
        await _sending;
        await _publisher.DisposeAsync();
        _stop.Dispose();
    }
}
