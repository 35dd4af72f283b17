using Npgsql;

namespace Hearth.Store.Postgres;

/// <summary>
/// Leadership as a session-level <c>pg_try_advisory_lock</c> held on a dedicated, unpooled connection: PostgreSQL
/// releases it when that session ends, so a server that dies (or loses its connection) gives leadership up and
/// another server's next try takes it. A follower tries again at most every <see cref="RetryEvery"/>.
/// </summary>
public sealed class PostgresLeaderLock : ILeaderLock, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private NpgsqlConnection? _connection;
    private DateTimeOffset? _lastTry;
    private volatile bool _isLeader;

    public PostgresLeaderLock(string connectionString, TimeProvider time, TimeSpan? retryEvery = null)
    {
        _connectionString = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // A pooled connection would go back to the pool, lock and all, instead of closing.
            Pooling = false,
            KeepAlive = 5,
            TcpKeepAlive = true,
            CommandTimeout = 5,
            ApplicationName = "hearth-leader",
        }.ToString();
        _time = time;
        RetryEvery = retryEvery ?? TimeSpan.FromSeconds(5);
    }

    public TimeSpan RetryEvery { get; }

    public bool IsLeader => _isLeader;

    public async Task<bool> CheckAsync(CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (_isLeader)
            {
                if (await SessionAliveAsync(ct))
                    return true;
                await DropConnectionAsync();
            }

            var now = _time.GetUtcNow();
            if (_lastTry is { } last && now - last < RetryEvery)
                return false;
            _lastTry = now;
            try
            {
                if (_connection is null)
                {
                    _connection = new NpgsqlConnection(_connectionString);
                    await _connection.OpenAsync(ct);
                }
                await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key);", _connection);
                command.Parameters.AddWithValue("key", AdvisoryLockKeys.Leader);
                _isLeader = (bool)(await command.ExecuteScalarAsync(ct))!;
            }
            catch (Exception e)
                when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                await DropConnectionAsync();
            }
            return _isLeader;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<bool> SessionAliveAsync(CancellationToken ct)
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT 1;", _connection);
            await command.ExecuteScalarAsync(ct);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }

    private async Task DropConnectionAsync()
    {
        _isLeader = false;
        if (_connection is null)
            return;
        try
        {
            await _connection.DisposeAsync();
        }
        catch (Exception e) when (e is NpgsqlException or IOException)
        {
            // The session is gone either way, and its lock with it.
        }
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await DropConnectionAsync();
        }
        finally
        {
            _gate.Release();
        }
        _gate.Dispose();
    }
}
