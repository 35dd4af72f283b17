using Hearth.Core.Api;
using Hearth.Core.Runs;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.Logs;
using Hearth.Store;
using Hearth.Server.OpenApi;

namespace Hearth.Server.Api;

public static class RunEndpoints
{
    public static void MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/v1/runs");

        runs.MapPost("", async (HttpContext http, RunService service, RunAccess access, DriverPolicy drivers,
            ImageDefaults images, ServerOptions options, LiveDrivers live, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<CreateRunBody>(http, ct, options.Access.MaxRunBodyBytes);
            if (body.Error is { } bad) return bad;
            body = body with { Value = await images.ApplyAsync(body.Value!, ct) };
            var (spec, maxAttempts, errors) = RunRequestValidator.Validate(body.Value!, options.LostAgentAttempts, await live.ListAsync(ct));
            if (spec is null) return ApiResults.Invalid(string.Join("; ", errors), errors);
            var caller = Caller.From(http);
            if (await access.CheckAsync(caller, body.Value!.Image is not null, RunAccess.SecretsOf(body.Value!), ct) is { } refused)
                return refused;
            var (pinned, driverRefused) = drivers.Apply(caller.Role, spec);
            if (pinned is null) return driverRefused!;
            Run run;
            try
            {
                run = await service.CreateCommandRunAsync(pinned, maxAttempts, Caller.From(http).Name, ct);
            }
            catch (Store.Locks.LockBusyException busy)
            {
                return ApiResults.Error(StatusCodes.Status409Conflict, "LOCK_BUSY", $"{busy.Message}; not waiting (--no-wait)", new LockBusyDetails(busy.Name, busy.HolderRun));
            }
            AuditTarget.Set(http, run.Id);
            return ApiResults.Json(RunView.From(run), StatusCodes.Status201Created);
        })
            .WithSummary("Start a run")
            .Body<CreateRunBody>()
            .Answers<RunView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "FORBIDDEN", "SECRET_OUT_OF_SCOPE")
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "LOCK_BUSY");

        runs.MapGet("", async (string? status, int? limit, IRunStore store, CancellationToken ct) =>
        {
            var states = new List<RunState>();
            foreach (var name in (status ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!RunStates.TryParse(name, out var state))
                    return ApiResults.Invalid($"status: '{name}' is not a run status (expected one of {string.Join(", ", RunStates.Names)})");
                states.Add(state);
            }
            if (limit is < 0) return ApiResults.Invalid("limit: must be 0 (all) or more");
            var list = await store.ListRunsAsync(new RunQuery(states, limit ?? 20), ct);
            return ApiResults.Json(new RunListView(list.Select(RunView.ListItem).ToList()));
        })
            .WithSummary("List runs, newest first")
            .Answers<RunListView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        runs.MapGet("/{id}", async (string id, IRunStore store, CancellationToken ct) =>
            await store.GetRunAsync(id, ct) is { } run ? ApiResults.Json(RunView.From(run)) : ApiResults.NotFound($"no run with id '{id}'"))
            .WithSummary("One run")
            .Answers<RunView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        runs.MapPost("/{id}/kill", async (HttpContext http, string id, RunService service, CancellationToken ct) =>
            await service.StopAsync(id, StopReason.Killed, ct, Caller.From(http).Name) is { } run
                ? ApiResults.Json(RunView.From(run), StatusCodes.Status202Accepted)
                : ApiResults.NotFound($"no run with id '{id}'"))
            .WithSummary("Kill a run (idempotent)")
            .Answers<RunView>(StatusCodes.Status202Accepted)
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "CONFLICT");

        runs.MapGet("/{id}/logs", async (HttpContext http, string id, long? from, bool? follow, string? step, int? limit,
            LogFollower follower, IRunStore store, CancellationToken ct) =>
        {
            if (from is < 0) return ApiResults.Invalid("from: must be 0 or more");
            if (limit is < 1 or > LogFollower.MaxPageSize)
                return ApiResults.Invalid($"limit: must be between 1 and {LogFollower.MaxPageSize} lines");
            var start = from ?? LastEventId(http) ?? 0;
            var run = await store.GetRunAsync(id, ct);
            if (run is null) return ApiResults.NotFound($"no run with id '{id}'");
            IReadOnlyList<string>? taskIds = null;
            if (step is not null)
            {
                taskIds = StepTasks(run, step);
                if (taskIds.Count == 0) return ApiResults.NotFound($"run '{id}' has no step '{step}'");
            }
            var wantsStream = follow == true || http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.Ordinal);
            if (!wantsStream) return ApiResults.Json(await follower.PageAsync(run, start, taskIds, limit ?? LogFollower.PageSize, ct));
            await follower.StreamAsync(http, run, start, taskIds, ct);
            return Results.Empty;
        })
            .WithSummary("A run's log: one page, or followed as Server-Sent Events")
            .WithDescription("With `follow=true` or `Accept: text/event-stream` the answer is a stream of Server-Sent "
                + "Events: the backlog from `from` (or after `Last-Event-ID`), then live lines, then one `end` event.")
            .Answers<LogPageView>()
            .Streams("Server-Sent Events: `line` events (their `id:` is the line number, so `Last-Event-ID` resumes), "
                + "then one `end` event; comment lines keep the connection alive every 15 s.",
                new StreamEvent("line", typeof(LogLineView), "One log line."),
                new StreamEvent("end", typeof(LogEndView), "The run ended; the last event of the stream."))
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }

    /// <summary>The tasks of a step: a run step's own, or every run step under a group (e.g. "3" for 3.0 and 3.1).</summary>
    private static IReadOnlyList<string> StepTasks(Run run, string step)
    {
        if (run.Tasks.FirstOrDefault(t => t.Kind == TaskKind.WorkflowStep && t.Name == step) is { } own) return [own.Id];
        if (run.Plan is not { } plan || !plan.Steps.Any(s => s.Id == step && s.Kind != PlanStepKind.Run)) return [];
        var under = new HashSet<string>(StringComparer.Ordinal) { step };
        foreach (var s in plan.Steps)
        {
            if (s.ParentId is { } parent && under.Contains(parent)) under.Add(s.Id);
        }
        return run.Tasks.Where(t => t.Kind == TaskKind.WorkflowStep && under.Contains(t.Name)).Select(t => t.Id).ToList();
    }

    private static long? LastEventId(HttpContext http) =>
        long.TryParse(http.Request.Headers["Last-Event-ID"].ToString(), out var last) ? last + 1 : null;
}
