namespace Hearth.Store.Access;

public enum KeyKind
{
    User,
    Agent,
}

/// <summary>
/// A person (or the bootstrap admin) who holds keys. <see cref="Email"/> is also the name runs are owned by.
/// </summary>
public sealed record UserRecord(
    string Email,
    string Role,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    string? CreatedByRequestId,
    DateTimeOffset? RevokedAt = null,
    string? ModifiedByRequestId = null
);

/// <summary>
/// An API key or agent token: only its SHA-256 is kept. <see cref="Owner"/> is the user's email or the agent pool's
/// name.
/// </summary>
public sealed record AccessKeyRecord(
    string Id,
    string Hash,
    KeyKind Kind,
    string Owner,
    string Role,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RevokedAt = null,
    DateTimeOffset? LastUsedAt = null
);

/// <summary>A one-time token exchanged for a user's first key; only its hash is kept.</summary>
public sealed record ClaimTokenRecord(
    string Hash,
    string Email,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? UsedAt = null,
    string? UsedFrom = null
);

public enum ClaimOutcome
{
    Claimed,
    Unknown,
    AlreadyUsed,
    Expired,
    UserRevoked,
}

public sealed record ClaimResult(ClaimOutcome Outcome, UserRecord? User = null);

/// <summary>
/// A secret as stored: the value only as AES-GCM ciphertext (<see cref="Ciphertext"/>, under key <see cref="KeyId"/>).
/// <see cref="EnvName"/> is the variable the sandbox sees it as.
/// </summary>
public sealed record SecretRecord(
    string Name,
    string EnvName,
    string? Description,
    string KeyId,
    byte[] Ciphertext,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string? CreatedByRequestId,
    string? ModifiedByRequestId,
    IReadOnlyList<string>? Repositories = null,
    IReadOnlyList<string>? AllowedUsers = null,
    IReadOnlyList<string>? AllowedRoles = null
)
{
    /// <summary>Repository patterns (globs) whose runs may use the secret; empty: any run may.</summary>
    public IReadOnlyList<string> Repositories { get; init; } = Repositories ?? [];

    /// <summary>Users (emails) who may use the secret in their runs, besides its creator and admins.</summary>
    public IReadOnlyList<string> AllowedUsers { get; init; } = AllowedUsers ?? [];

    /// <summary>Roles whose users may use the secret in their runs, besides its creator and admins.</summary>
    public IReadOnlyList<string> AllowedRoles { get; init; } = AllowedRoles ?? [];
}

/// <summary>One mutating request as it ended: who, what, on what, with which result, from where.</summary>
public sealed record AuditEntry(
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

public sealed record AuditQuery(
    string? Actor = null,
    DateTimeOffset? Since = null,
    string? RequestId = null,
    int Limit = 100
);
