namespace Hearth.Store;

/// <summary>A store that brings its own tables (and their version table) up to date before it is used.</summary>
public interface IMigratingStore
{
    Task MigrateAsync(CancellationToken ct);
}
