using System.Collections.Concurrent;
using Hearth.Agent.Services;
using Hearth.Core.Services;
using Hearth.Sandbox;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Hearth.Agent.Tests.Services;

/// <summary>
/// The health monitor on a fake clock against a sandbox whose exec answers from a script: start period, start
/// interval, interval, retries, timeout, and what gets reported when.
/// </summary>
public sealed class HealthMonitorTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(500);

    [Fact]
    public async Task Start_period_failures_do_not_count_retries_make_it_unhealthy_a_pass_heals_it_and_a_hung_check_times_out()
    {
        var time = new WatchedTime(new FakeTimeProvider(DateTimeOffset.Parse("2026-12-06T08:00:00Z")));
        var spec = new HealthCheckSpec(
            ["/bin/sh", "-c", "check"],
            Interval: TimeSpan.FromSeconds(10),
            Timeout: TimeSpan.FromSeconds(3),
            Retries: 2,
            StartPeriod: TimeSpan.FromSeconds(5),
            StartInterval: TimeSpan.FromSeconds(1)
        );
        // fail, fail (start period), pass, fail (streak 1), fail (unhealthy), fail (unhealthy again), pass, hang, hang.
        var sandbox = new ScriptedSandbox(time, [1, 1, 0, 1, 1, 1, 0, null, null]);
        var reports = new ConcurrentQueue<(HealthState State, DateTimeOffset At)>();
        var monitor = new HealthMonitor(
            spec,
            sandbox,
            state =>
            {
                reports.Enqueue((state, time.GetUtcNow()));
                return Task.FromResult(true);
            },
            time,
            NullLogger.Instance
        );
        using var stop = new CancellationTokenSource();
        // Off xunit's synchronization context: the monitor's continuations run inside Advance, as the clock moves.
        var running = Task.Run(() => monitor.RunAsync(stop.Token));

        await AdvanceUntilAsync(time, sandbox, spec, () =>
            sandbox.Calls.Count == 9 && reports.Count == 6 || running.IsCompleted
        );
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(
            [
                (ReplicaHealth.Starting, 0),
                (ReplicaHealth.Healthy, 0),
                (ReplicaHealth.Unhealthy, 2),
                (ReplicaHealth.Unhealthy, 3),
                (ReplicaHealth.Healthy, 0),
                (ReplicaHealth.Unhealthy, 2),
            ],
            reports.Select(r => (r.State.Health, r.State.FailingStreak))
        );
        var start = DateTimeOffset.Parse("2026-12-06T08:00:00Z");
        // Every start_interval while starting, every interval once healthy; a hung check ends at its timeout.
        Assert.Equal([1, 2, 3, 13, 23, 33, 43, 53, 66], sandbox.Calls.Select(c => (int)(c.At - start).TotalSeconds));
        Assert.Equal(["/bin/sh", "-c", "check"], sandbox.Calls[0].Command);
        Assert.Equal("exit 1\n", reports.ElementAt(2).State.Output);
        Assert.Equal("health check timed out after 3s", reports.Last().State.Output);
        Assert.Equal(start.AddSeconds(69), reports.Last().At);
    }

    [Fact]
    public async Task A_report_refused_as_stale_stops_the_checks()
    {
        var time = new WatchedTime(new FakeTimeProvider());
        var spec = new HealthCheckSpec(
            ["true"],
            TimeSpan.FromSeconds(2),
            TimeSpan.FromSeconds(1),
            3,
            TimeSpan.Zero,
            TimeSpan.Zero
        );
        var sandbox = new ScriptedSandbox(time, [0, 0, 0]);
        var reports = 0;
        var monitor = new HealthMonitor(
            spec,
            sandbox,
            _ => Task.FromResult(Interlocked.Increment(ref reports) < 2),
            time,
            NullLogger.Instance
        );
        var running = Task.Run(() => monitor.RunAsync(CancellationToken.None));
        await AdvanceUntilAsync(time, sandbox, spec, () => running.IsCompleted);
        Assert.Equal(2, reports);
        Assert.Single(sandbox.Calls);
    }

    /// <summary>
    /// Moves the clock a step at a time, each time only once the monitor is parked on its next timer (a check's delay,
    /// or the timeout of a check that hangs), so no step is taken while it is between two waits.
    /// </summary>
    private static async Task AdvanceUntilAsync(
        WatchedTime time,
        ScriptedSandbox sandbox,
        HealthCheckSpec spec,
        Func<bool> done
    )
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!done())
        {
            while (
                !done() && !(time.Latest is { Active: true } latest && (latest.Due != spec.Timeout || sandbox.Hanging))
            )
            {
                Assert.True(DateTime.UtcNow < deadline, "the monitor did not get there");
                await Task.Delay(1);
            }
            if (!done())
                time.Fake.Advance(Step);
        }
    }

    /// <summary>The fake clock, telling which timer was made last and whether it is still waiting.</summary>
    private sealed class WatchedTime(FakeTimeProvider fake) : TimeProvider
    {
        public FakeTimeProvider Fake => fake;

        public volatile TimerEntry? LatestEntry;

        public TimerEntry? Latest => LatestEntry;

        public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

        public override long GetTimestamp() => fake.GetTimestamp();

        public override long TimestampFrequency => fake.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var entry = new TimerEntry(dueTime);
            var timer = fake.CreateTimer(
                s =>
                {
                    entry.Active = false;
                    callback(s);
                },
                state,
                dueTime,
                period
            );
            LatestEntry = entry;
            return new Watched(timer, entry);
        }

        private sealed class Watched(ITimer inner, TimerEntry entry) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                entry.Active = false;
                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                entry.Active = false;
                return inner.DisposeAsync();
            }
        }
    }

    private sealed class TimerEntry(TimeSpan due)
    {
        public TimeSpan Due { get; } = due;

        public volatile bool Active = true;
    }

    /// <summary>A running sandbox whose exec exits with the next scripted code (null: hangs until cancelled).</summary>
    private sealed class ScriptedSandbox(TimeProvider time, IReadOnlyList<int?> script) : ISandbox
    {
        private volatile bool _hanging;

        public List<(IReadOnlyList<string> Command, DateTimeOffset At)> Calls { get; } = [];

        /// <summary>In a check that waits for its timeout.</summary>
        public bool Hanging => _hanging;

        public async Task<SandboxExit> ExecAsync(
            IReadOnlyList<string> command,
            ISandboxOutput output,
            CancellationToken cancellationToken
        )
        {
            int? code;
            lock (Calls)
            {
                Calls.Add((command, time.GetUtcNow()));
                code = Calls.Count <= script.Count ? script[Calls.Count - 1] : 0;
            }
            if (code is not { } exit)
            {
                _hanging = true;
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                finally
                {
                    _hanging = false;
                }
                throw new InvalidOperationException("unreachable");
            }
            await output.WriteLineAsync(OutputStream.Stdout, $"exit {exit}", cancellationToken);
            return new SandboxExit(exit, null, false);
        }

        public SandboxHandle Handle => new("fake", "fake", 1, new Dictionary<string, string>());
        public int Pid => 1;

        public Task<SandboxExit> WaitAsync(CancellationToken cancellationToken) =>
            Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => new SandboxExit(0, null, false));

        public Task StopAsync(StopSignal signal, TimeSpan grace, CancellationToken cancellationToken) =>
            Task.CompletedTask;

        public Task SignalAsync(int signal, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<SandboxStatus> InspectAsync(CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask<int> ReadOutputAsync(
            OutputStream stream,
            long offset,
            Memory<byte> buffer,
            CancellationToken cancellationToken
        ) => ValueTask.FromResult(0);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
