namespace Hearth.Core.Api;

/// <summary>
/// POST /api/v1/repos: a repository Hearth takes webhooks from. Secrets travel in the body, never in a URL.
/// </summary>
/// <param name="Name">The repository's name in Hearth (its webhook URL ends with it); default: the URL's last two path
/// segments joined by '-' ("team-app" for https://git.example.com/team/app.git).</param>
/// <param name="Forge">github, gitlab, gitea, forgejo or bitbucket.</param>
/// <param name="Secret">The webhook secret (GitLab: the secret token) deliveries are verified with.</param>
/// <param name="PreviousSecret">During a rotation, the secret being replaced; it verifies too until it is
/// dropped.</param>
/// <param name="Token">Reads the repository over HTTPS (git fetch of the pushed commit) and sends commit
/// statuses.</param>
/// <param name="Workflows">Paths of workflow files in the repository, read at the pushed commit.</param>
/// <param name="ApiUrl">The forge's REST API base for commit statuses (default: derived from the URL, e.g.
/// https://api.github.com for github.com, https://HOST/api/v4 for GitLab).</param>
public sealed record RepositoryBody(
    string? Name,
    string? Forge,
    string? Url,
    string? Secret,
    string? PreviousSecret = null,
    string? Token = null,
    IReadOnlyList<string>? Workflows = null,
    string? ApiUrl = null
);

/// <summary>
/// PUT /api/v1/repos/{name}/secret: a new webhook secret; the current one stays active beside it unless dropped.
/// </summary>
public sealed record RepositorySecretBody(string? Secret, bool KeepPrevious = true);

/// <param name="WebhookPath">Where the forge sends deliveries (POST), relative to the server's URL.</param>
/// <param name="ActiveSecrets">How many webhook secrets verify deliveries (2 during a rotation).</param>
public sealed record RepositoryView(
    string Name,
    string Forge,
    string Url,
    IReadOnlyList<string> Workflows,
    bool HasToken,
    int ActiveSecrets,
    string WebhookPath,
    string StandardWebhookPath,
    string CreatedBy,
    DateTimeOffset CreatedAt,
    string? StatusApiUrl = null,
    IReadOnlyList<string>? GrantedSecrets = null
);

/// <summary>
/// PUT /api/v1/repos/{name}/secrets (admins): secrets the repository's runs may use, granted or revoked by name.
/// </summary>
public sealed record RepositorySecretsBody(IReadOnlyList<string>? Grant = null, IReadOnlyList<string>? Revoke = null);

/// <summary>
/// A commit status Hearth sent (or is sending, or gave up on) to a repository's forge for one of its runs.
/// </summary>
/// <param name="State">Hearth's phase: pending, running, success, failure, error or canceled.</param>
/// <param name="Outcome">queued (not sent yet), sent, or failed (never retried again; <paramref name="Error"/> says
/// why).</param>
public sealed record CommitStatusView(
    string RunId,
    string Sha,
    string Context,
    string State,
    string Description,
    string Outcome,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SentAt,
    string? Error
);

public sealed record CommitStatusListView(IReadOnlyList<CommitStatusView> Statuses, int Total);

public sealed record RepositoryListView(IReadOnlyList<RepositoryView> Repositories, int Total);

/// <summary>
/// POST /api/v1/repos/{name}/trigger: start the repository's workflows with the manual trigger at a ref.
/// </summary>
/// <param name="Ref">A branch, a tag (or refs/heads/…, refs/tags/…) or a commit SHA.</param>
/// <param name="Workflow">One workflow path of the repository; default: every one whose triggers include
/// manual.</param>
public sealed record TriggerBody(string? Ref, string? Workflow = null);

/// <summary>What became of one workflow for an event: the run it started, or why it did not start.</summary>
public sealed record WorkflowMatchView(string Workflow, string? RunId, string? Skipped);

/// <summary>The answer to a delivery or a manual trigger.</summary>
/// <param name="Duplicate">The delivery was received before: nothing was done this time.</param>
/// <param name="Outcome">In words: ignored and why, or what started.</param>
public sealed record DeliveryView(
    string Repository,
    string DeliveryId,
    string Event,
    bool Duplicate,
    string Outcome,
    IReadOnlyList<string> RunIds,
    IReadOnlyList<WorkflowMatchView> Workflows,
    string? CommitSha = null
);
