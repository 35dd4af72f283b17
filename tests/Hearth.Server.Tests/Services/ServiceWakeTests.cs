using Hearth.Server.Background;
using Hearth.Server.Services;
using Hearth.Store.Changes;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Server.Tests.Services;

/// <summary>
/// The services' reconciler wakes on a change at once, never loses one, and still ticks when none comes.
/// </summary>
public sealed class ServiceWakeTests
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_change_before_or_during_the_wait_ends_it_and_several_count_as_one()
    {
        var time = new FakeTimeProvider();
        var wake = new ServiceWake();

        // Set while the last pass ran (before the wait): the wait returns without the clock moving.
        wake.Set();
        wake.Set();
        await wake.WaitAsync(Tick, time, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        // The two sets counted once: the next wait waits.
        var waiting = wake.WaitAsync(Tick, time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        wake.Set();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task With_no_change_the_wait_ends_at_the_tick_so_a_lost_announcement_costs_one_period()
    {
        var time = new FakeTimeProvider();
        var wake = new ServiceWake();
        var waiting = wake.WaitAsync(Tick, time, CancellationToken.None);
        time.Advance(Tick - TimeSpan.FromMilliseconds(1));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Signals_of_a_project_an_agent_or_a_replicas_run_wake_it_and_other_runs_do_not()
    {
        await using var feed = new LocalChangeFeed();
        var signals = new Signals(feed);
        var time = new FakeTimeProvider();
        var wake = new ServiceWake();
        var replicaRuns = new HashSet<string> { "run-replica" };
        using var watch = ServiceReconcilerLoop.WatchChanges(signals, replicaRuns.Contains, wake);

        foreach (
            var key in new[] { SignalKeys.Project("shop"), SignalKeys.Agent("agent-1"), SignalKeys.Run("run-replica") }
        )
        {
            var waiting = wake.WaitAsync(Tick, time, CancellationToken.None);
            Assert.False(waiting.IsCompleted);
            signals.Pulse(key);
            await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        }

        var idle = wake.WaitAsync(Tick, time, CancellationToken.None);
        signals.Pulse(SignalKeys.Run("run-of-a-ci-job"));
        signals.Pulse(SignalKeys.Lines("run-replica"));
        Assert.False(idle.IsCompleted);
        // Announcements may have been lost (the change feed reconnected): it looks again.
        signals.PulseAll();
        await idle.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
