using Hearth.Core.Runs;
using Hearth.Store.Metrics;

namespace Hearth.Store.Tests;

/// <summary>
/// What /metrics reads: grouped counts, the queue by label set, running work by driver, the ended window, locks.
/// </summary>
public abstract partial class RunStoreConformance
{
    [Fact]
    public async Task The_metrics_sample_counts_runs_tasks_retries_the_queue_and_running_work_and_returns_what_ended_in_its_window()
    {
        var locks = CreateLockStore();
        await locks.MigrateAsync(CancellationToken.None);
        var start = Time.GetUtcNow();
        var ok = await CreateRunAsync(
            new TaskSpec
            {
                Command = ["true"],
                Requirements = new Dictionary<string, string> { ["driver.bubblewrap"] = "true" },
            }
        );
        var okLease = (await ClaimAsync(labels: new Dictionary<string, string> { ["driver.bubblewrap"] = "true" }))!;
        Advance(TimeSpan.FromSeconds(2));
        await CompleteAsync(okLease, 0);
        var failed = await CreateRunAsync(maxAttempts: 2);
        var lost = (await ClaimAsync())!;
        Advance(LeaseTtl + TimeSpan.FromSeconds(1));
        await RescueAsync();
        var retried = (await ClaimAsync())!;
        Assert.Equal((failed.Id, 2), (retried.RunId, retried.Attempt));
        await RunningAsync(retried);
        await CreateRunAsync(
            new TaskSpec
            {
                Command = ["x"],
                Requirements = new Dictionary<string, string> { ["pool"] = "gpu", ["arch"] = "arm64" },
            }
        );
        var windowEnd = Time.GetUtcNow();

        var sample = await ((IStoreMetrics)Store).SampleMetricsAsync(
            start,
            windowEnd,
            windowEnd,
            CancellationToken.None
        );

        Assert.Contains(new StateCount("command", "Succeeded", 1), sample.Runs);
        Assert.Contains(new StateCount("command", "Succeeded", 1), sample.Tasks);
        Assert.Contains(new StateCount("command", "Running", 1), sample.Tasks);
        Assert.Contains(new StateCount("command", "Pending", 1), sample.Tasks);
        Assert.Equal(1, sample.Retries["command"]);
        var queue = Assert.Single(sample.Queue);
        Assert.Equal(("arch=arm64,pool=gpu", 1L), (queue.Requirements, queue.Count));
        Assert.Equal(1, sample.Running["any"]);
        Assert.False(sample.Running.ContainsKey("bubblewrap"));
        var ended = Assert.Single(sample.EndedTasks);
        Assert.Equal((ok.Id, TaskState.Succeeded), (ended.RunId, ended.State));
        Assert.Equal(ok.Id, Assert.Single(sample.EndedRuns).Id);
        Assert.Empty(sample.Locks);

        // A window that starts where this one ended returns nothing that ended before.
        var next = await ((IStoreMetrics)Store).SampleMetricsAsync(
            windowEnd,
            Time.GetUtcNow(),
            Time.GetUtcNow(),
            CancellationToken.None
        );
        Assert.Empty(next.EndedTasks);
        Assert.Empty(next.EndedRuns);
        if (locks is IAsyncDisposable disposable)
            await disposable.DisposeAsync();
    }
}
