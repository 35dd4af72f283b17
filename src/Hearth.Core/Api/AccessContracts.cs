namespace Hearth.Core.Api;

/// <summary>POST /api/v1/users.</summary>
public sealed record CreateUserBody(string? Email, string? Role);

public sealed record UserView(
    string Email,
    string Role,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    bool Revoked,
    DateTimeOffset? RevokedAt,
    string? CreatedByRequestId,
    string? ModifiedByRequestId
);

/// <summary>The claim token is shown once; it is exchanged for an API key with POST /api/v1/claim/{token}.</summary>
public sealed record CreatedUserView(UserView User, string ClaimToken, DateTimeOffset ClaimExpiresAt);

public sealed record UserListView(IReadOnlyList<UserView> Users);

public sealed record ClaimView(string ApiKey, string UserEmail, string Role, string Message);

/// <summary>
/// POST /api/v1/secrets and PUT /api/v1/secrets/{name}: the value travels in the body, never in a URL.
/// </summary>
/// <param name="Repositories">Repository patterns (globs, e.g. "https://git.example.com/team/*") whose runs may use the
/// secret; null or empty: any run may. On update, null leaves the scope as it is.</param>
/// <param name="AllowedUsers">Users (emails) who may use the secret in runs besides its creator and admins. On update,
/// null leaves the list as it is and [] empties it.</param>
/// <param name="AllowedRoles">Roles whose users may use the secret besides its creator and admins (same update
/// rule).</param>
public sealed record SecretBody(
    string? Name,
    string? Value,
    string? EnvName,
    string? Description,
    IReadOnlyList<string>? Repositories = null,
    IReadOnlyList<string>? AllowedUsers = null,
    IReadOnlyList<string>? AllowedRoles = null
);

public sealed record SecretView(
    string Name,
    string EnvName,
    string? Description,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? CreatedByRequestId,
    string? ModifiedByRequestId,
    IReadOnlyList<string>? Repositories = null,
    IReadOnlyList<string>? AllowedUsers = null,
    IReadOnlyList<string>? AllowedRoles = null
);

public sealed record SecretListView(IReadOnlyList<SecretView> Secrets, int Total);

/// <summary>GET /api/v1/secrets/{name}: admin or owner only.</summary>
public sealed record SecretValueView(string Name, string EnvName, string Value);

public sealed record AuditEntryView(
    string RequestId,
    DateTimeOffset Time,
    string Actor,
    string Action,
    string Method,
    string Path,
    string? Target,
    int Status,
    string Result,
    string ClientAddress
);

public sealed record AuditListView(IReadOnlyList<AuditEntryView> Entries);

/// <summary>
/// GET /api/v1/trace/{request_id}: what the request did and the records it created or changed (as they are now).
/// </summary>
public sealed record TraceView(
    string RequestId,
    IReadOnlyList<AuditEntryView> Entries,
    IReadOnlyList<RunView> Runs,
    IReadOnlyList<SecretView> Secrets,
    IReadOnlyList<UserView> Users
);
