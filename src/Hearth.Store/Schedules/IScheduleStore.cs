namespace Hearth.Store.Schedules;

/// <summary>
/// Stored schedules, in the run store's database (one SQLite file, or the PostgreSQL database every server shares).
/// </summary>
public interface IScheduleStore : IMigratingStore
{
    /// <summary>Stores a new schedule; false when one with its name exists.</summary>
    Task<bool> CreateAsync(ScheduleRecord schedule, CancellationToken ct);

    /// <summary>Every schedule, by name.</summary>
    Task<IReadOnlyList<ScheduleRecord>> ListAsync(CancellationToken ct);

    Task<ScheduleRecord?> GetAsync(string name, CancellationToken ct);

    /// <summary>Deletes a schedule; false when there was none by that name.</summary>
    Task<bool> DeleteAsync(string name, CancellationToken ct);

    /// <summary>
    /// Moves a schedule's cursor from <paramref name="expectedCursor"/> on, and records what fired; false (and nothing
    /// written) when another server moved it first or the schedule is gone.
    /// </summary>
    Task<bool> AdvanceAsync(string id, DateTimeOffset expectedCursor, ScheduleAdvance advance, CancellationToken ct);
}
