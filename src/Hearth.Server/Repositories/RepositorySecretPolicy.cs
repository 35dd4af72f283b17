using Hearth.Server.Secrets;
using Hearth.Store.Access;
using Hearth.Store.Repositories;

namespace Hearth.Server.Repositories;

/// <summary>
/// Which of a repository's matched workflows may start when their steps name secrets. A repository's runs have no user
/// behind them, so a secret reaches them only when an admin granted it to the repository (<c>hearth repos secrets NAME
/// --grant S</c>), it exists, and its repository scope (if any) matches the repository's URL. A pull request from a
/// fork (or one whose payload does not say where its head lives) is never given a secret: its code is anyone's, so a
/// workflow whose steps name one does not start, and the delivery says why. Workflows naming no secret are left as they
/// are.
/// </summary>
public sealed class RepositorySecretPolicy(IAccessStore access)
{
    public async Task<IReadOnlyList<WorkflowMatch>> ApplyAsync(
        RepositoryRecord repository,
        IReadOnlyList<WorkflowMatch> matches,
        bool fromFork,
        CancellationToken ct
    )
    {
        var decided = new List<WorkflowMatch>(matches.Count);
        foreach (var match in matches)
            decided.Add(
                match.Plan is null
                    ? match
                    : match with
                    {
                        Skipped = await RefusalAsync(repository, match, fromFork, ct),
                    }
            );
        return decided.Select(m => m.Skipped is null ? m : m with { Plan = null }).ToList();
    }

    private async Task<string?> RefusalAsync(
        RepositoryRecord repository,
        WorkflowMatch match,
        bool fromFork,
        CancellationToken ct
    )
    {
        var plan = match.Plan!;
        foreach (var step in plan.Steps.Where(s => s.Secrets is { Count: > 0 }))
        {
            foreach (var name in step.Secrets!)
            {
                if (fromFork)
                    return $"a pull request from a fork is given no secrets (step {step.Id} names {name})";
                if (!repository.GrantedSecrets.Contains(name, StringComparer.Ordinal))
                    return $"step {step.Id} names secret {name}, which is not granted to repository {repository.Name} "
                        + $"(an admin grants it: hearth repos secrets {repository.Name} --grant {name})";
                var secret = await access.GetSecretAsync(name, ct);
                if (secret is null)
                    return $"step {step.Id} names secret {name}, which does not exist";
                if (!SecretScope.Allows(secret, plan.Repository))
                    return $"step {step.Id} names secret {name}, which is scoped to other repositories than {plan.Repository}";
            }
        }
        return null;
    }
}
