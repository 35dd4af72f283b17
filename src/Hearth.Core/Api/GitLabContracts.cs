namespace Hearth.Core.Api;

/// <summary>
/// POST /api/v1/gitlab/runners: a GitLab runner authentication token (glrt-…) Hearth takes jobs with.
/// </summary>
/// <param name="Tags">Job tags this runner takes besides the microVM ones (firecracker*, microvm*, firerunner*,
/// actuated*).</param>
/// <param name="Driver">The driver its jobs run on (oci by default).</param>
/// <param name="Image">The image of jobs that name none.</param>
public sealed record GitLabRunnerBody(
    string? Name,
    string? Url,
    string? Token,
    IReadOnlyList<string>? Tags,
    string? Driver,
    string? Image
);

/// <summary>A stored runner; its token is never shown.</summary>
public sealed record GitLabRunnerView(
    string Name,
    string Url,
    long? RunnerId,
    IReadOnlyList<string> Tags,
    string Driver,
    string? Image,
    string? CreatedBy,
    DateTimeOffset CreatedAt
);

public sealed record GitLabRunnerListView(IReadOnlyList<GitLabRunnerView> Runners);
