namespace Hearth.Store.Repositories;

/// <summary>
/// Registered repositories, in their own tables and migration list (<c>repository_schema_version</c>).
/// </summary>
public interface IRepositoryStore : IMigratingStore
{
    /// <summary>False when a repository of that name exists.</summary>
    Task<bool> CreateAsync(RepositoryRecord repository, CancellationToken ct);

    Task<RepositoryRecord?> GetAsync(string name, CancellationToken ct);

    Task<IReadOnlyList<RepositoryRecord>> ListAsync(CancellationToken ct);

    /// <summary>Replaces the row (by name); false when there is none.</summary>
    Task<bool> UpdateAsync(RepositoryRecord repository, CancellationToken ct);

    Task<bool> DeleteAsync(string name, CancellationToken ct);
}
