using Hearth.Core;
using Hearth.Core.Runs;
using Hearth.Server.Auth;
using Hearth.Server.Background;
using Hearth.Server.Creation;
using Hearth.Store;
using Hearth.Workflows.Execution;

namespace Hearth.Server.Workflows;

/// <summary>
/// Starts workflow runs (one task per run step, routed by its machine group) and advances them with the pure
/// scheduler whenever a step ends. Advancing is idempotent, so the reconciler may repeat it safely.
/// </summary>
public sealed class WorkflowService(
    IRunStore store,
    RunService runs,
    Signals signals,
    TimeProvider time,
    Configuration.ServerOptions options
)
{
    public const string Kind = RunKinds.Workflow;

    /// <param name="driver">The driver every step runs in; null for the agent's default.</param>
    /// <param name="checkouts">Steps given a repository-scoped secret: they run the script from a checkout of the
    /// workflow's repository (at COMMIT_SHA, TAG or BRANCH), so the code that sees the secret is the
    /// repository's.</param>
    public async Task<RunCreation> CreateAsync(
        WorkflowPlan plan,
        string? createdBy,
        string? driver,
        IReadOnlySet<string> checkouts,
        IdempotencyKey? key,
        CancellationToken ct
    )
    {
        var created = await runs.CreateAsync(Draft(plan, createdBy, driver, checkouts, key), ct);
        if (created.Replayed || !await SettleAsync(plan, created.Run.Id, ct))
            return created;
        return created with { Run = (await store.GetRunAsync(created.Run.Id, ct))! };
    }

    /// <summary>
    /// The run a plan makes (its steps as tasks, the first ones pending), for any front door to create.
    /// </summary>
    public RunDraft Draft(
        WorkflowPlan plan,
        string? createdBy,
        string? driver,
        IReadOnlySet<string> checkouts,
        IdempotencyKey? key
    )
    {
        var runSteps = plan.Steps.Where(s => s.Kind == PlanStepKind.Run).ToList();
        var initial = runSteps.ToDictionary(s => s.Id, _ => TaskState.Waiting, StringComparer.Ordinal);
        var advance = WorkflowProgress.Advance(plan, initial);
        var decided = advance.Decisions.ToDictionary(d => d.StepId, StringComparer.Ordinal);
        var env = Environment(plan);
        IReadOnlyList<NewTask> Tasks(string runId) =>
            runSteps
                .Select(step => new NewTask(
                    TaskIds.ForStep(runId, step.Id),
                    step.Id,
                    DriverPolicy.Pin(
                        new TaskSpec
                        {
                            Command = ["/bin/sh", "-c", step.Run!],
                            Env = env,
                            Requirements = new Dictionary<string, string> { ["machine"] = step.Machine! },
                            Lock = step.Lock is { } name ? new Hearth.Core.Locks.LockRequest(name) : null,
                            Secrets = step.Secrets ?? [],
                            Git =
                                checkouts.Contains(step.Id) && plan.Repository is { } repo
                                    ? new GitSource(repo, CheckoutRef(plan))
                                    : null,
                            // A lost agent retries a step by default; its script's own failure only for the exit codes
                            // it names.
                            Retry = step.RetryExitCodes is { Count: > 0 } codes
                                ? new RetryPolicy
                                {
                                    MaxAttempts = step.MaxAttempts ?? options.LostAgentAttempts,
                                    ExitCodes = codes,
                                }
                                : null,
                        },
                        driver
                    ),
                    MaxAttempts: step.MaxAttempts ?? options.LostAgentAttempts,
                    decided.TryGetValue(step.Id, out var d) ? d.To : TaskState.Waiting,
                    decided.TryGetValue(step.Id, out var r) ? r.Reason : null
                )
                {
                    Kind = TaskKind.WorkflowStep,
                })
                .ToList();

        return new RunDraft(Kind, new TaskSpec { Command = ["workflow", plan.Name] }, createdBy, Tasks)
        {
            Plan = plan,
            Key = key,
        };
    }

    /// <summary>Ends a just-created run whose conditions skipped every step; true when it did.</summary>
    public async Task<bool> SettleAsync(WorkflowPlan plan, string runId, CancellationToken ct)
    {
        var initial = plan
            .Steps.Where(s => s.Kind == PlanStepKind.Run)
            .ToDictionary(s => s.Id, _ => TaskState.Waiting, StringComparer.Ordinal);
        var advance = WorkflowProgress.Advance(plan, initial);
        if (advance.Outcome is not { } outcome)
            return false;
        await store.AdvanceWorkflowAsync(
            runId,
            [],
            outcome,
            advance.Reason ?? "every step was skipped",
            time.GetUtcNow(),
            ct
        );
        signals.Pulse(SignalKeys.Run(runId));
        return true;
    }

    /// <summary>
    /// Moves the run on through the lifecycle (next steps, its outcome): what a step's end already did, again after a
    /// crash.
    /// </summary>
    public async Task AdvanceAsync(string runId, CancellationToken ct)
    {
        if (await store.ReconcileAsync(runId, time.GetUtcNow(), ct))
        {
            signals.Pulse(SignalKeys.Work);
            signals.Pulse(SignalKeys.Run(runId));
        }
    }

    private static string? CheckoutRef(WorkflowPlan plan) =>
        new[] { "COMMIT_SHA", "TAG", "BRANCH" }
            .Select(v => plan.Variables.GetValueOrDefault(v))
            .FirstOrDefault(v => !string.IsNullOrEmpty(v));

    /// <summary>
    /// The run's variables are the steps' environment: BRANCH, TRIGGER, COMMIT_SHA, PR_NUMBER, TAG and --var ones.
    /// </summary>
    private static Dictionary<string, string> Environment(WorkflowPlan plan) =>
        plan.Variables.Where(v => v.Value.Length > 0).ToDictionary(v => v.Key, v => v.Value, StringComparer.Ordinal);
}
