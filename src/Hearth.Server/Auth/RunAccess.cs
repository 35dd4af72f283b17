using Hearth.Core.Api;
using Hearth.Core.Names;
using Hearth.Server.Api;
using Hearth.Server.Secrets;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>One secret a new task would be given.</summary>
/// <param name="Repository">The repository the task's code comes from (null: none).</param>
/// <param name="NotRepositoryCode">Why the task's code is not the repository's (null: it is, or the secret serves
/// only the checkout, as a git_secret does).</param>
public sealed record SecretRequest(string Name, string? Repository, string? NotRepositoryCode);

/// <summary>
/// The "use" checks of new work, the same for runs, playbooks, workflows and git secrets: its image, and each secret it
/// names (who may use it, and for a repository-scoped secret, whether the code comes from that repository).
/// </summary>
public sealed class RunAccess(IAccessStore store)
{
    /// <summary>The secrets an ad-hoc run (or a playbook, which is one) asks for, its git_secret included.</summary>
    public static IEnumerable<SecretRequest> SecretsOf(CreateRunBody body)
    {
        var notCode = body.GitRepo is null
            ? "it names no repository"
            : RepositoryCode.Problem(
                body.Command ?? [],
                body.Image is not null,
                body.Env?.Keys ?? Enumerable.Empty<string>()
            );
        foreach (var name in body.Secrets ?? [])
            yield return new SecretRequest(name, body.GitRepo, notCode);
        if (body.GitSecret is { } git)
            yield return new SecretRequest(git, body.GitRepo, null);
    }

    public async Task<IResult?> CheckAsync(
        Caller caller,
        bool image,
        IEnumerable<SecretRequest> secrets,
        CancellationToken ct
    )
    {
        if (image && !Policy.IsGranted(caller.Role, "images.use"))
            return Forbidden($"role '{caller.Role}' may not use images");
        foreach (var request in secrets)
        {
            var name = request.Name;
            if (Names.Secret.Problem(name) is { } problem)
                return ApiResults.Invalid($"secrets: {problem}");
            var secret = await store.GetSecretAsync(name, ct);
            if (secret is null)
                return ApiResults.Error(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND", $"no secret named '{name}'");
            if (!SecretUsers.Allows(secret, caller))
                return ApiResults.Error(
                    StatusCodes.Status403Forbidden,
                    "SECRET_NOT_ALLOWED",
                    $"{caller.Name} may not use secret '{name}': only its creator ({secret.CreatedBy}), admins and "
                        + "the users and roles "
                        + $"it allows (hearth secrets update {name} --allow-user/--allow-role)"
                );
            if (secret.Repositories.Count == 0)
                continue;
            var scope = string.Join(", ", secret.Repositories);
            if (!SecretScope.Allows(secret, request.Repository))
                return OutOfScope(
                    $"secret '{name}' is scoped to {scope}; this run's repository is {request.Repository ?? "not given"}"
                );
            if (request.NotRepositoryCode is { } why)
                return OutOfScope(
                    $"secret '{name}' is scoped to {scope} and is given only to code from the repository: {why}"
                );
        }
        return null;
    }

    private static IResult OutOfScope(string message) =>
        ApiResults.Error(StatusCodes.Status403Forbidden, "SECRET_OUT_OF_SCOPE", message);

    private static IResult Forbidden(string message) =>
        ApiResults.Error(StatusCodes.Status403Forbidden, "FORBIDDEN", message);
}
