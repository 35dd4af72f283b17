using Hearth.Core.Api;
using Hearth.Core.Placement;
using Hearth.Core.Runs;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.Creation;
using Hearth.Server.OpenApi;
using Hearth.Server.Placement;
using Hearth.Server.Secrets;
using Hearth.Store;
using Hearth.Store.Access;
using Hearth.Workflows.Execution;

namespace Hearth.Server.Workflows;

public static class WorkflowEndpoints
{
    public static void MapWorkflowEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/workflows/runs");

        group
            .MapPost(
                "",
                async (
                    HttpContext http,
                    WorkflowService workflows,
                    RunAccess access,
                    DriverPolicy drivers,
                    IAccessStore secrets,
                    ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<CreateWorkflowRunBody>(
                        http,
                        ct,
                        options.Access.MaxRunBodyBytes
                    );
                    if (body.Error is { } bad)
                        return bad;
                    var (key, keyError) = IdempotencyKeys.Read(
                        http,
                        body.Value!.IdempotencyKey,
                        WorkflowService.Kind,
                        body.Value with
                        {
                            IdempotencyKey = null,
                        }
                    );
                    if (keyError is not null)
                        return ApiResults.Invalid(keyError);
                    var errors = PlanValidator.Validate(body.Value!.Plan);
                    if (errors.Count > 0)
                        return ApiResults.Invalid(string.Join("; ", errors), errors);
                    var plan = body.Value.Plan!;
                    // The same "use" checks as a run's, step by step: a scoped secret goes only to a step that runs a
                    // script of the workflow's repository, which that step then checks out.
                    var requests = plan
                        .Steps.Where(s => s.Secrets is { Count: > 0 })
                        .SelectMany(step =>
                        {
                            var notCode = plan.Repository is null
                                ? "it names no repository"
                                : RepositoryCode.Problem(
                                    ["/bin/sh", "-c", step.Run ?? ""],
                                    image: false,
                                    plan.Variables.Keys
                                );
                            return step.Secrets!.Select(name => new SecretRequest(
                                name,
                                plan.Repository,
                                notCode is null ? null : $"step {step.Id}: {notCode}"
                            ));
                        })
                        .ToList();
                    if (await access.CheckAsync(Caller.From(http), image: false, requests, ct) is { } refused)
                        return refused;
                    var checkouts = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var step in plan.Steps.Where(s => s.Secrets is { Count: > 0 }))
                    {
                        foreach (var name in step.Secrets!)
                        {
                            if (await secrets.GetSecretAsync(name, ct) is { Repositories.Count: > 0 })
                                checkouts.Add(step.Id);
                        }
                    }
                    // Steps name no driver: one the caller's role may not run unsandboxed is pinned to a sandbox.
                    var (driver, driverRefused) = drivers.ForUnnamed(Caller.From(http).Role);
                    if (driverRefused is not null)
                        return driverRefused;
                    try
                    {
                        var created = await workflows.CreateAsync(
                            body.Value.Plan!,
                            Caller.From(http).Name,
                            driver,
                            checkouts,
                            key,
                            ct
                        );
                        return RunEndpoints.Created(http, created, null);
                    }
                    catch (IdempotencyKeyReusedException reused)
                    {
                        return RunEndpoints.KeyReused(reused);
                    }
                }
            )
            .WithSummary("Start a workflow run from a plan (hearth workflow run compiles one)")
            .WithDescription(RunEndpoints.IdempotencyDescription)
            .Body<CreateWorkflowRunBody>()
            .Answers<RunView>(StatusCodes.Status201Created)
            .Answers<RunView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "FORBIDDEN", "SECRET_OUT_OF_SCOPE")
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "IDEMPOTENCY_KEY_REUSED");

        group
            .MapGet(
                "/{id}",
                async (string id, IRunStore store, AgentFleet fleet, TimeProvider time, CancellationToken ct) =>
                {
                    var run = await store.GetRunAsync(id, ct);
                    if (run?.Plan is not { } plan)
                        return ApiResults.NotFound($"no workflow run with id '{id}'");
                    var steps = StepsOf(run, plan, await fleet.SnapshotAsync(ct), time.GetUtcNow());
                    var waiting = steps
                        .Where(s => s.State == TaskState.Pending)
                        .Select(s => s.Reason)
                        .FirstOrDefault(r => r?.StartsWith("waiting:", StringComparison.Ordinal) == true);
                    return ApiResults.Json(
                        new WorkflowRunView(
                            RunView.From(run with { Tasks = [] }) with
                            {
                                Waiting = waiting,
                            },
                            plan.Name,
                            plan.Source,
                            plan.Variables,
                            steps
                        )
                    );
                }
            )
            .WithSummary("A workflow run and its steps")
            .Answers<WorkflowRunView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }

    /// <summary>
    /// Each step of a workflow run with its state (a group's from its children), as the API and the web UI show them.
    /// </summary>
    public static List<WorkflowStepView> StepsOf(
        Run run,
        WorkflowPlan plan,
        IReadOnlyList<AgentSnapshot> agents,
        DateTimeOffset now
    )
    {
        var tasks = run.Tasks.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return plan
            .Steps.Select(step =>
            {
                tasks.TryGetValue(step.Id, out var task);
                var state = task?.State ?? GroupState(plan, step, tasks);
                var (startedAt, endedAt) = task is null
                    ? GroupTimes.Of(
                        state,
                        Leaves(plan, step.Id).Where(tasks.ContainsKey).Select(id => tasks[id]).ToList()
                    )
                    : (task.StartedAt, task.EndedAt);
                var reason = (task is null ? null : AgentFleet.Waiting(task, agents, now)) ?? task?.Reason;
                return new WorkflowStepView
                {
                    Id = step.Id,
                    Kind = step.Kind,
                    ParentId = step.ParentId,
                    Machine = step.Machine,
                    Run = step.Run,
                    Condition = step.Condition,
                    Source = step.Source,
                    State = state,
                    Reason = reason,
                    ExitCode = task?.ExitCode,
                    Attempt = task?.Attempt ?? 0,
                    AgentId = task?.AgentId,
                    StartedAt = startedAt,
                    EndedAt = endedAt,
                };
            })
            .ToList();
    }

    /// <summary>
    /// A group is as far as its children: failed if one failed, running if one is live, skipped if all were skipped.
    /// </summary>
    private static TaskState GroupState(WorkflowPlan plan, PlanStep group, IReadOnlyDictionary<string, RunTask> tasks)
    {
        var leaves = Leaves(plan, group.Id)
            .Select(id => tasks.TryGetValue(id, out var t) ? t.State : TaskState.Waiting)
            .ToList();
        if (leaves.Count == 0)
            return TaskState.Skipped;
        if (leaves.Any(s => s is TaskState.Failed or TaskState.TimedOut))
            return TaskState.Failed;
        if (leaves.Any(s => s is TaskState.Running or TaskState.Leased))
            return TaskState.Running;
        if (leaves.Any(s => s is TaskState.Pending))
            return TaskState.Pending;
        if (leaves.Any(s => s is TaskState.Waiting))
            return TaskState.Waiting;
        if (leaves.Any(s => s is TaskState.Stopped))
            return TaskState.Stopped;
        return leaves.All(s => s == TaskState.Skipped) ? TaskState.Skipped : TaskState.Succeeded;
    }

    private static IEnumerable<string> Leaves(WorkflowPlan plan, string groupId)
    {
        foreach (var child in plan.Steps.Where(s => s.ParentId == groupId))
        {
            if (child.Kind == PlanStepKind.Run)
                yield return child.Id;
            else
                foreach (var leaf in Leaves(plan, child.Id))
                    yield return leaf;
        }
    }
}
