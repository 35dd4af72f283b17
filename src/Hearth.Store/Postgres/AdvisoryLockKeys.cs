namespace Hearth.Store.Postgres;

/// <summary>
/// Keys of the database-wide advisory locks Hearth takes; fixed numbers so every server agrees on them.
/// </summary>
internal static class AdvisoryLockKeys
{
    /// <summary>Held (per transaction) while migrations run, so two servers starting at once apply them once.</summary>
    public const long Migrations = 0x4865_6172_7468_0001;

    /// <summary>Held (per session) by the one server that runs the background loops.</summary>
    public const long Leader = 0x4865_6172_7468_0002;
}
