using System.Diagnostics;
using Hearth.Store.Sqlite;

namespace Hearth.Store.Tests;

/// <summary>What SQLite acknowledged survives kill -9 of the process that wrote it.</summary>
public sealed class SqliteCrashTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("hearth-crash-").FullName;

    [Fact]
    public async Task Every_run_acknowledged_before_a_kill_9_is_there_after_reopening()
    {
        var path = Path.Combine(_directory, "hearth.db");
        var acknowledged = new List<string>();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in (string[])["exec", typeof(Program).Assembly.Location, "write-runs", path])
            start.ArgumentList.Add(a);

        for (var round = 0; round < 3; round++)
        {
            using var writer = Process.Start(start)!;
            var stderr = writer.StandardError.ReadToEndAsync();
            var target = acknowledged.Count + 150 + (round * 37);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (acknowledged.Count < target && await writer.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                acknowledged.Add($"{round}:{line}");
            // SIGKILL mid-stream: the writer is inside another CreateRunAsync right now.
            writer.Kill();
            await writer.WaitForExitAsync(timeout.Token);
            Assert.True(acknowledged.Count >= target, $"writer stopped early: {await stderr}");

            var store = new SqliteRunStore(path, new Hearth.Lifecycle.LifecycleRules());
            await store.MigrateAsync(CancellationToken.None);
            var stored = (await store.ListRunsAsync(new RunQuery(Limit: 0), CancellationToken.None))
                .Select(r => r.Id)
                .ToHashSet();
            var missing = acknowledged
                .Where(a => a.StartsWith($"{round}:", StringComparison.Ordinal))
                .Select(a => a[(a.IndexOf(':') + 1)..])
                .Where(id => !stored.Contains(id))
                .ToList();
            Assert.Empty(missing);
            // The next writer starts its numbering again; clear what this round wrote so ids stay unique.
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            File.Delete(path);
            File.Delete(path + "-wal");
            File.Delete(path + "-shm");
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
