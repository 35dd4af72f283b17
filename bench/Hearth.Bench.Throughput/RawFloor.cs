using System.Data.Common;
using System.Diagnostics;
using Hearth.Bench.Store;
using Hearth.Core.Runs;
using Hearth.Store;

namespace Hearth.Bench.Throughput;

/// <summary>
/// The raw SQL claim loop on the server's own database: its tasks require a label no agent has, so the agents
/// never take them, and its runs are marked done afterwards so the server does not count them as open.
/// </summary>
public sealed class RawFloor(IRunStore store, IRawClaimLoop loop, Func<DbConnection> connect)
{
    private static readonly TaskSpec Spec = new()
    {
        Command = ["true"],
        Requirements = new Dictionary<string, string> { ["bench"] = "raw" },
    };
    private int _batch;

    /// <summary>
    /// Drains a fresh queue of <paramref name="tasks"/>; returns tasks per second and the whole machine's busy CPU per
    /// task while it drained.
    /// </summary>
    public async Task<(double Rate, TimeSpan CpuPerTask)> MeasureAsync(int tasks, int claimers)
    {
        var prefix = $"raw{++_batch}";
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < tasks; i += 10)
        {
            var run = new Run
            {
                Id = $"{prefix}-{i:D6}",
                Kind = "command",
                State = RunState.Starting,
                CreatedAt = now,
                Spec = Spec,
            };
            await store.CreateRunAsync(
                run,
                Enumerable
                    .Range(0, Math.Min(10, tasks - i))
                    .Select(t => new NewTask($"{run.Id}-{t}", "t", Spec, 1))
                    .ToList(),
                CancellationToken.None
            );
        }
        var busy = MachineCpu.Busy();
        var clock = Stopwatch.StartNew();
        var done = (
            await Task.WhenAll(
                Enumerable.Range(0, claimers).Select(_ => Task.Run(() => loop.DrainAsync(CancellationToken.None)))
            )
        ).Sum();
        clock.Stop();
        var cpuPerTask = (MachineCpu.Busy() - busy) / tasks;
        if (done != tasks)
            throw new InvalidOperationException($"the raw loop drained {done} of {tasks} tasks");
        await using var connection = connect();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"UPDATE runs SET state = 'Succeeded' WHERE id LIKE '{prefix}-%';";
        await command.ExecuteNonQueryAsync();
        return (done / clock.Elapsed.TotalSeconds, cpuPerTask);
    }
}
