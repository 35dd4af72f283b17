using Hearth.Server.Auth;
using Hearth.Store.Access;

namespace Hearth.Server.Secrets;

/// <summary>
/// Who may use a secret in a run (using a secret is reading it: a run can print it). Admins and the secret's creator
/// always may; besides them, the users and roles the secret allows. Null lists (on update) leave the secret's as they
/// are.
/// </summary>
public sealed record SecretUsers(IReadOnlyList<string>? Users, IReadOnlyList<string>? Roles)
{
    public static bool Allows(SecretRecord secret, Caller caller)
    {
        if (
            caller.Role == Auth.Roles.Admin
            || string.Equals(secret.CreatedBy, caller.Name, StringComparison.OrdinalIgnoreCase)
        )
            return true;
        if (!Policy.IsGranted(caller.Role, "secrets.use"))
            return false;
        return secret.AllowedUsers.Contains(caller.Name, StringComparer.OrdinalIgnoreCase)
            || secret.AllowedRoles.Contains(caller.Role, StringComparer.Ordinal);
    }

    /// <summary>Null when valid, else the field and what was expected.</summary>
    public string? Problem()
    {
        foreach (var (user, i) in (Users ?? []).Select((u, i) => (u, i)))
        {
            if (Hearth.Core.Names.Names.Email.Problem(user) is { } problem)
                return $"allowed_users[{i}]: {problem}";
        }
        foreach (var (role, i) in (Roles ?? []).Select((r, i) => (r, i)))
        {
            if (!Auth.Roles.UserRoles.Contains(role))
                return $"allowed_roles[{i}]: '{role}' is not a role (expected one of {string.Join(", ", Auth.Roles.UserRoles)})";
        }
        return null;
    }
}
