using Hearth.Core.Runs;
using Hearth.Store.Sqlite;

namespace Hearth.Store.Tests;

/// <summary>
/// This assembly's entry point, for the crash test only: <c>write-runs DB</c> creates runs until killed and prints
/// each run's id once the store has acknowledged it. The test runner never calls it.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is not ["write-runs", var path])
            return 2;
        var store = new SqliteRunStore(path, new Hearth.Lifecycle.LifecycleRules());
        await store.MigrateAsync(CancellationToken.None);
        var spec = new TaskSpec { Command = ["true"] };
        for (var i = 0; ; i++)
        {
            var run = new Run
            {
                Id = $"crash-{i:D6}",
                Kind = "command",
                State = RunState.Starting,
                CreatedAt = DateTimeOffset.UtcNow,
                Spec = spec,
            };
            await store.CreateRunAsync(run, [new NewTask(run.Id + "-1", "main", spec, 1)], CancellationToken.None);
            Console.Out.WriteLine(run.Id);
            Console.Out.Flush();
        }
    }
}
