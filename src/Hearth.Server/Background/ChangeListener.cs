using Hearth.Store.Changes;

namespace Hearth.Server.Background;

/// <summary>Hands what the other servers announce on the change feed to this server's waiters.</summary>
public sealed class ChangeListener(IChangeFeed feed, Signals signals) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        feed.ListenAsync(signals.PulseHere, signals.PulseAll, stoppingToken);
}
