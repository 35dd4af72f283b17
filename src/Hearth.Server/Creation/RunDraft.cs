using Hearth.Core.Runs;
using Hearth.Store;

namespace Hearth.Server.Creation;

/// <summary>
/// What any front door (the API's runs and workflow runs; webhooks, cron, compose and GitLab later) asks to create:
/// the run's kind and spec, its tasks (built from the run's id), and the idempotency key it was sent with.
/// </summary>
/// <param name="Tasks">The run's tasks, given the id the run gets.</param>
public sealed record RunDraft(string Kind, TaskSpec Spec, string? CreatedBy, Func<string, IReadOnlyList<NewTask>> Tasks)
{
    public WorkflowPlan? Plan { get; init; }

    public IdempotencyKey? Key { get; init; }
}

/// <param name="Replayed">The idempotency key named a run created earlier from the same request: this is that
/// run.</param>
public sealed record RunCreation(Run Run, bool Replayed);

/// <summary>
/// The idempotency key was used before, by the same user, for another request (409 IDEMPOTENCY_KEY_REUSED).
/// </summary>
public sealed class IdempotencyKeyReusedException(string key, string runId)
    : Exception(
        $"idempotency key '{key}' was already used for another request (run {runId}); use a new key for a new request"
    )
{
    public string Key { get; } = key;
    public string RunId { get; } = runId;
}
