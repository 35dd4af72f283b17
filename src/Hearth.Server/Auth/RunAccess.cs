using System.Text.RegularExpressions;
using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Store.Access;

namespace Hearth.Server.Auth;

/// <summary>The "use" checks of a new run: its image, and each secret it names (role grant, or the secret's owner).</summary>
public sealed partial class RunAccess(IAccessStore store)
{
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    public static partial Regex SecretName();

    public Task<IResult?> CheckAsync(Caller caller, CreateRunBody body, CancellationToken ct) => CheckAsync(caller, body, body.GitRepo, ct);

    /// <param name="repository">The repository the run comes from (scoped secrets are refused to runs from elsewhere).</param>
    public async Task<IResult?> CheckAsync(Caller caller, CreateRunBody body, string? repository, CancellationToken ct)
    {
        if (body.Image is not null && !Policy.IsGranted(caller.Role, "images.use"))
            return Forbidden($"role '{caller.Role}' may not use images");
        foreach (var name in body.Secrets ?? [])
        {
            if (!SecretName().IsMatch(name)) return ApiResults.Invalid($"secrets: '{name}' is not a secret name");
            var secret = await store.GetSecretAsync(name, ct);
            if (secret is null) return ApiResults.Error(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND", $"no secret named '{name}'");
            if (!Policy.IsGranted(caller.Role, "secrets.use") && secret.CreatedBy != caller.Name)
                return Forbidden($"role '{caller.Role}' may not use secret '{name}' (only secrets it created)");
            if (!Secrets.SecretScope.Allows(secret, repository))
                return ApiResults.Error(StatusCodes.Status403Forbidden, "SECRET_OUT_OF_SCOPE",
                    $"secret '{name}' is scoped to {string.Join(", ", secret.Repositories)}; this run's repository is {repository ?? "not given"}");
        }
        return null;
    }

    private static IResult Forbidden(string message) => ApiResults.Error(StatusCodes.Status403Forbidden, "FORBIDDEN", message);
}
