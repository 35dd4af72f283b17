using Hearth.Store.Access;
using Hearth.Workflows.Conditions;

namespace Hearth.Server.Secrets;

/// <summary>
/// Which runs may use a secret: one with no repositories may be used by any run; a scoped one only by runs whose
/// repository (a workflow's --repo, an ad-hoc run's --git-repo) matches one of its patterns.
/// </summary>
public static class SecretScope
{
    public static bool Allows(SecretRecord secret, string? repository) =>
        secret.Repositories.Count == 0
        || (
            repository is not null
            && secret.Repositories.Any(pattern => GlobPattern.IsMatch(pattern, repository.TrimEnd('/')))
        );
}
