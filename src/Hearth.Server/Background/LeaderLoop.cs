using Hearth.Store;

namespace Hearth.Server.Background;

/// <summary>
/// A sweep run every <see cref="Interval"/> while this server holds the leader lock, so it runs on one server at a
/// time. A failed sweep is logged and tried again at the next tick: the sweeps are idempotent, so a tick lost to an
/// error, a crash or a change of leader costs nothing.
/// </summary>
public abstract class LeaderLoop(ILeaderLock leader, TimeProvider time, ILogger logger, string name) : BackgroundService
{
    protected TimeProvider Time => time;

    protected ILogger Logger => logger;

    protected abstract TimeSpan Interval { get; }

    protected abstract Task TickAsync(CancellationToken ct);

    /// <summary>
    /// The pause between two sweeps: <see cref="Interval"/>, unless a loop wakes earlier on its own events.
    /// </summary>
    protected virtual Task PauseAsync(CancellationToken ct) => Task.Delay(Interval, time, ct);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await leader.CheckAsync(stoppingToken))
                    await TickAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "{Loop} failed; retrying", name);
            }
            await PauseAsync(stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
