using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.Creation;
using Hearth.Server.Logs;
using Hearth.Server.OpenApi;
using Hearth.Server.Placement;
using Hearth.Store;

namespace Hearth.Server.Api;

public static class RunEndpoints
{
    public static void MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/v1/runs");

        runs.MapPost(
                "",
                async (
                    HttpContext http,
                    RunService service,
                    RunAccess access,
                    DriverPolicy drivers,
                    ImageDefaults images,
                    ServerOptions options,
                    LiveDrivers live,
                    AgentFleet fleet,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<CreateRunBody>(http, ct, options.Access.MaxRunBodyBytes);
                    if (body.Error is { } bad)
                        return bad;
                    var (key, keyError) = IdempotencyKeys.Read(
                        http,
                        body.Value!.IdempotencyKey,
                        RunService.CommandKind,
                        body.Value with
                        {
                            IdempotencyKey = null,
                        }
                    );
                    if (keyError is not null)
                        return ApiResults.Invalid(keyError);
                    body = body with { Value = await images.ApplyAsync(body.Value!, ct) };
                    var (spec, maxAttempts, errors) = RunRequestValidator.Validate(
                        body.Value!,
                        options.LostAgentAttempts,
                        await live.ListAsync(ct)
                    );
                    if (spec is null)
                        return ApiResults.Invalid(string.Join("; ", errors), errors);
                    var caller = Caller.From(http);
                    if (
                        await access.CheckAsync(
                            caller,
                            body.Value!.Image is not null,
                            RunAccess.SecretsOf(body.Value!),
                            ct
                        ) is
                        { } refused
                    )
                        return refused;
                    var (pinned, driverRefused) = drivers.Apply(caller.Role, spec);
                    if (pinned is null)
                        return driverRefused!;
                    RunCreation created;
                    try
                    {
                        created = await service.CreateCommandRunAsync(pinned, maxAttempts, caller.Name, key, ct);
                    }
                    catch (Store.Locks.LockBusyException busy)
                    {
                        return ApiResults.Error(
                            StatusCodes.Status409Conflict,
                            "LOCK_BUSY",
                            $"{busy.Message}; not waiting (--no-wait)",
                            new LockBusyDetails(busy.Name, busy.HolderRun)
                        );
                    }
                    catch (IdempotencyKeyReusedException reused)
                    {
                        return KeyReused(reused);
                    }
                    AuditTarget.Set(http, created.Run.Id);
                    return Created(http, created, await fleet.WaitingAsync(created.Run, ct));
                }
            )
            .WithSummary("Start a run")
            .Body<CreateRunBody>()
            .WithDescription(IdempotencyDescription)
            .Answers<RunView>(StatusCodes.Status201Created)
            .Answers<RunView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "FORBIDDEN", "SECRET_OUT_OF_SCOPE")
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "LOCK_BUSY", "IDEMPOTENCY_KEY_REUSED");

        runs.MapGet(
                "",
                async (
                    string? status,
                    int? limit,
                    IRunStore store,
                    AgentFleet fleet,
                    TimeProvider time,
                    CancellationToken ct
                ) =>
                {
                    var states = new List<RunState>();
                    foreach (
                        var name in (status ?? "").Split(
                            ',',
                            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
                        )
                    )
                    {
                        if (!RunStates.TryParse(name, out var state))
                            return ApiResults.Invalid(
                                $"status: '{name}' is not a run status (expected one of {string.Join(", ", RunStates.Names)})"
                            );
                        states.Add(state);
                    }
                    if (limit is < 0)
                        return ApiResults.Invalid("limit: must be 0 (all) or more");
                    var list = await store.ListRunsAsync(new RunQuery(states, limit ?? 20), ct);
                    var agents = list.Any(r => r.Tasks.Any(t => t.State == TaskState.Pending))
                        ? await fleet.SnapshotAsync(ct)
                        : [];
                    var now = time.GetUtcNow();
                    return ApiResults.Json(
                        new RunListView(
                            list.Select(r =>
                                    RunView.ListItem(r) with
                                    {
                                        Waiting = r
                                            .Tasks.Select(t => AgentFleet.Waiting(t, agents, now))
                                            .FirstOrDefault(w => w is not null),
                                    }
                                )
                                .ToList()
                        )
                    );
                }
            )
            .WithSummary("List runs, newest first")
            .WithDescription(WaitingDescription)
            .Answers<RunListView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        runs.MapGet("/{id}", async (string id, IRunStore store, AgentFleet fleet, CancellationToken ct) =>
                await store.GetRunAsync(id, ct) is { } run
                    ? ApiResults.Json(RunView.From(run) with { Waiting = await fleet.WaitingAsync(run, ct) })
                    : ApiResults.NotFound($"no run with id '{id}'")
            )
            .WithSummary("One run")
            .WithDescription(
                WaitingDescription
                    + " `startup` is the current attempt's breakdown: queued, leased, sandbox "
                    + "started, first output, exited, result stored (a step not reached yet is absent)."
            )
            .Answers<RunView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        runs.MapPost("/{id}/kill", async (HttpContext http, string id, RunService service, CancellationToken ct) =>
                await service.StopAsync(id, StopReason.Killed, ct, Caller.From(http).Name) is { } run
                    ? ApiResults.Json(RunView.From(run), StatusCodes.Status202Accepted)
                    : ApiResults.NotFound($"no run with id '{id}'")
            )
            .WithSummary("Kill a run (idempotent)")
            .Answers<RunView>(StatusCodes.Status202Accepted)
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "CONFLICT");

        runs.MapGet(
                "/{id}/logs",
                async (
                    HttpContext http,
                    string id,
                    long? from,
                    bool? follow,
                    string? step,
                    int? limit,
                    LogFollower follower,
                    IRunStore store,
                    CancellationToken ct
                ) =>
                {
                    if (from is < 0)
                        return ApiResults.Invalid("from: must be 0 or more");
                    if (limit is < 1 or > LogFollower.MaxPageSize)
                        return ApiResults.Invalid($"limit: must be between 1 and {LogFollower.MaxPageSize} lines");
                    var start = from ?? LastEventId(http) ?? 0;
                    var run = await store.GetRunAsync(id, ct);
                    if (run is null)
                        return ApiResults.NotFound($"no run with id '{id}'");
                    IReadOnlyList<string>? taskIds = null;
                    if (step is not null)
                    {
                        taskIds = StepTasks(run, step);
                        if (taskIds.Count == 0)
                            return ApiResults.NotFound($"run '{id}' has no step '{step}'");
                    }
                    var wantsStream =
                        follow == true
                        || http.Request.Headers.Accept.ToString()
                            .Contains("text/event-stream", StringComparison.Ordinal);
                    if (!wantsStream)
                        return await follower.PageAsync(run, start, taskIds, limit ?? LogFollower.PageSize, ct);
                    await follower.StreamAsync(http, run, start, taskIds, ct);
                    return Results.Empty;
                }
            )
            .WithSummary("A run's log: one page, or followed as Server-Sent Events")
            .WithDescription(
                "With `follow=true` or `Accept: text/event-stream` the answer is a stream of Server-Sent "
                    + "Events: the backlog from `from` (or after `Last-Event-ID`), then live lines, then one `end` event."
            )
            .Answers<LogPageView>()
            .Streams(
                "Server-Sent Events: `line` events (their `id:` is the line number, so `Last-Event-ID` resumes), "
                    + "then one `end` event; comment lines keep the connection alive every 15 s.",
                new StreamEvent("line", typeof(LogLineView), "One log line."),
                new StreamEvent("end", typeof(LogEndView), "The run ended; the last event of the stream.")
            )
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }

    public const string WaitingDescription =
        "A run whose task waits for an agent carries `waiting`: why no live agent takes it now, from the agents and the "
        + "task's needs (`waiting: no live agent has driver process`, `waiting: all 2 agents with labels group=test are busy "
        + "(8 of 8 slots taken)`). A task no live agent matches at all fails after `placement.unplaceable_timeout`.";

    public const string IdempotencyDescription =
        "With an `Idempotency-Key` header (or `idempotency_key` in the body), the same key from the same user returns the run it "
        + "created first (200, `Idempotent-Replayed: true`) instead of creating a second one, after a server restart too; the "
        + "same key with a different request is refused with 409 `IDEMPOTENCY_KEY_REUSED` (its details name the run).";

    /// <summary>201 and the new run, or 200 and the run a key created before (marked replayed).</summary>
    public static IResult Created(HttpContext http, RunCreation created, string? waiting)
    {
        var view = RunView.From(created.Run) with { Waiting = waiting };
        if (!created.Replayed)
            return ApiResults.Json(view, StatusCodes.Status201Created);
        http.Response.Headers[IdempotencyKeys.ReplayedHeader] = "true";
        return ApiResults.Json(view);
    }

    public static IResult KeyReused(IdempotencyKeyReusedException reused) =>
        ApiResults.Error(
            StatusCodes.Status409Conflict,
            "IDEMPOTENCY_KEY_REUSED",
            reused.Message,
            new IdempotencyKeyReusedDetails(reused.Key, reused.RunId)
        );

    /// <summary>
    /// The tasks of a step: a run step's own, or every run step under a group (e.g. "3" for 3.0 and 3.1).
    /// </summary>
    private static IReadOnlyList<string> StepTasks(Run run, string step)
    {
        if (run.Tasks.FirstOrDefault(t => t.Kind == TaskKind.WorkflowStep && t.Name == step) is { } own)
            return [own.Id];
        if (run.Plan is not { } plan || !plan.Steps.Any(s => s.Id == step && s.Kind != PlanStepKind.Run))
            return [];
        var under = new HashSet<string>(StringComparer.Ordinal) { step };
        foreach (var s in plan.Steps)
        {
            if (s.ParentId is { } parent && under.Contains(parent))
                under.Add(s.Id);
        }
        return run
            .Tasks.Where(t => t.Kind == TaskKind.WorkflowStep && under.Contains(t.Name))
            .Select(t => t.Id)
            .ToList();
    }

    private static long? LastEventId(HttpContext http) =>
        long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), out var last) ? last + 1 : null;
}
