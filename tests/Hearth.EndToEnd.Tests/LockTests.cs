using System.Text.Json;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// hearth run --lock through real processes: FIFO queueing, the token in the sandbox, --no-wait, --lock-wait, status
/// and forced release.
/// </summary>
public abstract class LockTests(ClusterFixture fixture)
{
    private HearthCluster Cluster => fixture.Cluster;

    private static string NewLock() => "lk-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<string> StartAsync(string lockName, params string[] command)
    {
        var result = await Cluster.CliAsync(["run", "-d", "--driver", "process", "--lock", lockName, "--", .. command]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout.Trim();
    }

    private async Task<JsonElement> StatusAsync(string runId) =>
        JsonDocument.Parse((await Cluster.CliAsync("status", runId, "-o", "json")).Stdout).RootElement;

    private async Task<JsonElement> WaitEndedAsync(string runId)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var status = await StatusAsync(runId);
            if (status.GetProperty("status").GetString() is "SUCCEEDED" or "FAILED" or "STOPPED" or "TIMED_OUT")
                return status;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"run {runId} did not end: {status}");
            await Task.Delay(200);
        }
    }

    /// <summary>
    /// Waits until the lock is held by <paramref name="runId"/> (the server grants it when it creates the run).
    /// </summary>
    private async Task WaitHeldAsync(string lockName, string runId)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var status = JsonDocument
                .Parse((await Cluster.CliAsync("locks", "status", lockName, "-o", "json")).Stdout)
                .RootElement;
            if (status.TryGetProperty("holder", out var holder) && holder.GetString() == runId)
                return;
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"lock {lockName} is not held by {runId}: {status}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Waiters_queue_in_order_see_the_holder_and_get_increasing_tokens()
    {
        var name = NewLock();
        var variable = "HEARTH_LOCK_TOKEN_" + name.ToUpperInvariant().Replace('-', '_');
        using var gate = new Gate();
        var holder = await StartAsync(name, "sh", "-c", $"echo token=${variable}; {gate.Wait}");
        var waiters = new List<string>();
        for (var i = 0; i < 3; i++)
            waiters.Add(await StartAsync(name, "sh", "-c", $"echo token=${variable}"));

        var first = await StatusAsync(waiters[0]);
        Assert.Equal("STARTING", first.GetProperty("status").GetString());
        Assert.Equal($"waiting for lock {name} held by {holder}", first.GetProperty("reason").GetString());
        var log = await Cluster.CliAsync("logs", waiters[0]);
        Assert.Contains($"hearth: waiting for lock {name} held by {holder}", log.Stderr);

        var status = JsonDocument
            .Parse((await Cluster.CliAsync("locks", "status", name, "-o", "json")).Stdout)
            .RootElement;
        Assert.Equal(holder, status.GetProperty("holder").GetString());
        Assert.Equal(1, status.GetProperty("token").GetInt64());
        Assert.Equal(
            waiters,
            status.GetProperty("queue").EnumerateArray().Select(w => w.GetProperty("run_id").GetString()!).ToList()
        );
        var list = await Cluster.CliAsync("locks", "list");
        Assert.Contains(name, list.Stdout);

        gate.Open();
        var tokens = new List<int>();
        foreach (var run in waiters.Prepend(holder))
        {
            var ended = await WaitEndedAsync(run);
            Assert.Equal("SUCCEEDED", ended.GetProperty("status").GetString());
            tokens.Add(int.Parse((await Cluster.CliAsync("logs", run)).Stdout.Trim().Split('=')[1]));
        }
        Assert.Equal([1, 2, 3, 4], tokens);
        var starts = new List<DateTimeOffset>();
        foreach (var run in waiters.Prepend(holder))
            starts.Add((await StatusAsync(run)).GetProperty("started_at").GetDateTimeOffset());
        Assert.Equal(starts.Order().ToList(), starts);

        var free = JsonDocument
            .Parse((await Cluster.CliAsync("locks", "status", name, "-o", "json")).Stdout)
            .RootElement;
        Assert.False(free.TryGetProperty("holder", out _));
        Assert.Equal(0, free.GetProperty("queue").GetArrayLength());
    }

    [Fact]
    public async Task No_wait_fails_fast_naming_the_holder_and_creates_nothing()
    {
        var name = NewLock();
        using var gate = new Gate();
        var holder = await StartAsync(name, "sh", "-c", gate.Wait);
        await WaitHeldAsync(name, holder);
        var before = (await Cluster.CliAsync("list", "--limit", "0", "-o", "json")).Stdout;
        var refused = await Cluster.CliAsync("run", "--driver", "process", "--lock", name, "--no-wait", "--", "true");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"lock {name} is held by run {holder}", refused.Stderr);
        Assert.Contains("LOCK_BUSY", refused.Stderr);
        var after = (await Cluster.CliAsync("list", "--limit", "0", "-o", "json")).Stdout;
        Assert.Equal(Count(before), Count(after));
        gate.Open();
        Assert.Equal("SUCCEEDED", (await WaitEndedAsync(holder)).GetProperty("status").GetString());

        var free = await Cluster.CliAsync("run", "--driver", "process", "--lock", name, "--no-wait", "--", "true");
        Assert.Equal(0, free.ExitCode);
    }

    [Fact]
    public async Task Lock_wait_expiry_fails_the_run_with_a_clear_reason()
    {
        var name = NewLock();
        using var gate = new Gate();
        var holder = await StartAsync(name, "sh", "-c", gate.Wait);
        await WaitHeldAsync(name, holder);
        var waiter = await Cluster.CliAsync(
            "run",
            "--driver",
            "process",
            "--lock",
            name,
            "--lock-wait",
            "1s",
            "--",
            "true"
        );
        Assert.Equal(125, waiter.ExitCode);
        Assert.Contains($"gave up waiting for lock {name} after 1s (held by {holder})", waiter.Stderr);
        var status = await Cluster.CliAsync("locks", "status", name, "-o", "json");
        Assert.Equal(0, JsonDocument.Parse(status.Stdout).RootElement.GetProperty("queue").GetArrayLength());
        await Cluster.CliAsync("kill", holder);
    }

    [Fact]
    public async Task A_killed_holder_frees_the_lock_and_a_killed_waiter_leaves_the_queue()
    {
        var name = NewLock();
        var holder = await StartAsync(name, "sleep", "60");
        var leaving = await StartAsync(name, "true");
        var next = await StartAsync(name, "true");
        Assert.Equal(0, (await Cluster.CliAsync("kill", leaving)).ExitCode);
        Assert.Equal("STOPPED", (await WaitEndedAsync(leaving)).GetProperty("status").GetString());
        Assert.Equal(0, (await Cluster.CliAsync("kill", holder)).ExitCode);
        Assert.Equal("STOPPED", (await WaitEndedAsync(holder)).GetProperty("status").GetString());
        Assert.Equal("SUCCEEDED", (await WaitEndedAsync(next)).GetProperty("status").GetString());
        Assert.Contains($"hearth: lock {name} acquired (token 2)", (await Cluster.CliAsync("logs", next)).Stderr);
    }

    [Fact]
    public async Task Forced_release_needs_force_grants_the_next_and_is_audited()
    {
        var name = NewLock();
        var holder = await StartAsync(name, "sleep", "60");
        var next = await StartAsync(name, "true");
        var unforced = await Cluster.CliAsync("locks", "release", name);
        Assert.Equal(2, unforced.ExitCode);
        var released = await Cluster.CliAsync("locks", "release", name, "--force");
        Assert.True(released.ExitCode == 0, released.Stderr);
        Assert.Contains($"was held by {holder}, token 1", released.Stderr);
        Assert.Equal("SUCCEEDED", (await WaitEndedAsync(next)).GetProperty("status").GetString());
        var audit = await Cluster.CliAsync("audit", "-o", "json");
        Assert.Contains("locks.release", audit.Stdout);
        await Cluster.CliAsync("kill", holder);
        Assert.Equal(1, (await Cluster.CliAsync("locks", "status", "no-such-lock")).ExitCode);
    }

    private static int Count(string listJson) =>
        JsonDocument.Parse(listJson).RootElement.GetProperty("runs").GetArrayLength();
}

public sealed class SqliteLockTests(SqliteClusterFixture fixture)
    : LockTests(fixture),
        IClassFixture<SqliteClusterFixture>;

public sealed class PostgresLockTests(PostgresClusterFixture fixture)
    : LockTests(fixture),
        IClassFixture<PostgresClusterFixture>;
