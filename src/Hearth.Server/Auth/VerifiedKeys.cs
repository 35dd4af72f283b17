using System.Collections.Concurrent;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>
/// Keys found valid in the store in the last few seconds, by hash, so that an agent's calls do not each cost a
/// store query. Only valid keys are kept (an unknown key always reaches the store and the failure throttle). A revoke
/// on this server forgets them all at once; another server sharing the database stops accepting a revoked key
/// within <see cref="Keep"/>.
/// </summary>
public sealed class VerifiedKeys(TimeProvider time)
{
    public static readonly TimeSpan Keep = TimeSpan.FromSeconds(10);
    private const int MaxKeys = 10_000;
    private readonly ConcurrentDictionary<string, (AccessKeyRecord Record, DateTimeOffset Until)> _keys = new(
        StringComparer.Ordinal
    );
    private long _generation;

    /// <summary>
    /// Read before a store lookup and handed to <see cref="Remember"/>: a revoke in between keeps its result out.
    /// </summary>
    public long Generation => Interlocked.Read(ref _generation);

    public AccessKeyRecord? Find(string hash) =>
        _keys.TryGetValue(hash, out var entry) && entry.Until > time.GetUtcNow() ? entry.Record : null;

    public void Remember(string hash, AccessKeyRecord record, long generation)
    {
        if (record.RevokedAt is not null)
            return;
        if (_keys.Count >= MaxKeys)
            _keys.Clear();
        _keys[hash] = (record, time.GetUtcNow() + Keep);
        if (Generation != generation)
            _keys.TryRemove(hash, out _);
    }

    /// <summary>
    /// After a key's last use was recorded: the cached copy says so too, without extending how long it is trusted.
    /// </summary>
    public void Update(string hash, AccessKeyRecord record)
    {
        if (_keys.TryGetValue(hash, out var entry))
            _keys.TryUpdate(hash, (record, entry.Until), entry);
    }

    public void ForgetAll()
    {
        Interlocked.Increment(ref _generation);
        _keys.Clear();
    }
}
