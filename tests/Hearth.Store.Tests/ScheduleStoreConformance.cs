using Hearth.Core.Schedules;
using Hearth.Store.Schedules;

namespace Hearth.Store.Tests;

/// <summary>The schedule store behaves the same on SQLite and PostgreSQL.</summary>
public abstract class ScheduleStoreConformance(TestDatabase database) : AreaStoreConformance<IScheduleStore>(database)
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-11-24T08:00:00Z");

    protected override Task<IScheduleStore> OpenAsync(TestDatabase database) =>
        database.OpenAsync<IScheduleStore>(cs => new PostgresScheduleStore(cs), path => new SqliteScheduleStore(path));

    private static ScheduleRecord Nightly(string name = "nightly") =>
        new(
            $"id-{name}",
            name,
            "0 3 * * *",
            "Europe/Berlin",
            MissedRunPolicy.Once,
            "command",
            "{\"command\":[\"make\"]}",
            "dev@example.com",
            T0,
            T0
        )
        {
            Source = "ci.kdl:3:1",
        };

    [Fact]
    public async Task A_schedule_is_stored_read_back_and_its_name_is_unique()
    {
        Assert.True(await Store.CreateAsync(Nightly(), None));
        Assert.False(await Store.CreateAsync(Nightly() with { Id = "other" }, None));

        var read = await Store.GetAsync("nightly", None);
        Assert.Equal(Nightly(), read);
        Assert.Null(await Store.GetAsync("nope", None));
    }

    [Fact]
    public async Task List_is_by_name_and_delete_removes_one()
    {
        await Store.CreateAsync(Nightly("b"), None);
        await Store.CreateAsync(Nightly("a") with { TimeZone = null, Missed = MissedRunPolicy.Skip }, None);

        Assert.Equal(["a", "b"], (await Store.ListAsync(None)).Select(s => s.Name));
        Assert.Equal(
            (null, MissedRunPolicy.Skip),
            ((await Store.GetAsync("a", None))!.TimeZone, (await Store.GetAsync("a", None))!.Missed)
        );
        Assert.True(await Store.DeleteAsync("a", None));
        Assert.False(await Store.DeleteAsync("a", None));
        Assert.Equal(["b"], (await Store.ListAsync(None)).Select(s => s.Name));
    }

    [Fact]
    public async Task Advance_is_a_compare_and_set_on_the_cursor()
    {
        await Store.CreateAsync(Nightly(), None);
        var fired = T0.AddHours(19);

        Assert.True(await Store.AdvanceAsync("id-nightly", T0, new ScheduleAdvance(fired, fired, "run-1", null), None));
        // A second server that read the old cursor changes nothing.
        Assert.False(
            await Store.AdvanceAsync("id-nightly", T0, new ScheduleAdvance(fired, fired, "run-2", null), None)
        );

        var read = (await Store.GetAsync("nightly", None))!;
        Assert.Equal(
            (fired, "run-1", fired, (string?)null),
            (read.Cursor, read.LastRunId, read.LastFiredAt, read.LastError)
        );

        // Skipping moves the cursor only; the last run is kept. A failed fire records its error.
        Assert.True(
            await Store.AdvanceAsync("id-nightly", fired, new ScheduleAdvance(fired.AddDays(1), null, null, null), None)
        );
        Assert.Equal("run-1", (await Store.GetAsync("nightly", None))!.LastRunId);
        Assert.True(
            await Store.AdvanceAsync(
                "id-nightly",
                fired.AddDays(1),
                new ScheduleAdvance(fired.AddDays(2), fired.AddDays(2), null, "owner revoked"),
                None
            )
        );
        read = (await Store.GetAsync("nightly", None))!;
        Assert.Equal(((string?)null, "owner revoked"), (read.LastRunId, read.LastError));

        Assert.False(await Store.AdvanceAsync("gone", T0, new ScheduleAdvance(fired, null, null, null), None));
    }
}

public sealed class SqliteScheduleStoreTests() : ScheduleStoreConformance(new SqliteTestDatabase("hearth-schedules-"));

[Collection(PostgresCollection.Name)]
public sealed class PostgresScheduleStoreTests(PostgresCluster cluster)
    : ScheduleStoreConformance(new PostgresTestDatabase(cluster));
