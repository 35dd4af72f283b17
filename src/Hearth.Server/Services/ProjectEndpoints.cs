using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Services;
using Hearth.Server.Agents;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;
using Hearth.Store.Services;

namespace Hearth.Server.Services;

/// <summary>
/// Compose projects over the API (<c>hearth up/ps/down/scale/restart/events/inspect</c>) and the agents' two ends.
/// </summary>
public static class ProjectEndpoints
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static void MapProjectEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/projects");

        group
            .MapPut(
                "/{name}",
                async (
                    string name,
                    HttpContext http,
                    ProjectService projects,
                    ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<ProjectSpec>(http, ct, options.Access.MaxRunBodyBytes);
                    return body.Error ?? await projects.PutAsync(name, body.Value!, Caller.From(http), ct);
                }
            )
            .WithSummary(
                "Deploy a project: store its desired state; the reconciler starts, rolls or stops replicas to match"
            )
            .Body<ProjectSpec>()
            .Answers<ProjectView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "FORBIDDEN", "DRIVER_FORBIDDEN");

        group
            .MapGet("", async (ProjectService projects, CancellationToken ct) =>
                ApiResults.Json(await projects.ListAsync(ct))
            )
            .WithSummary("List projects")
            .Answers<ProjectListView>();

        group
            .MapGet("/{name}", async (string name, ProjectService projects, CancellationToken ct) =>
                await projects.ViewAsync(name, ct) is { } view
                    ? ApiResults.Json(view)
                    : ApiResults.NotFound($"no project named '{name}'")
            )
            .WithSummary(
                "A project's desired state and each replica as it is (state, health, agent, restarts, why it waits)"
            )
            .Answers<ProjectView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        group
            .MapDelete("/{name}", async (string name, bool? volumes, ProjectService projects, CancellationToken ct) =>
                await projects.DownAsync(name, volumes == true, ct)
            )
            .WithSummary(
                "Take a project down: its replicas stop, then the project is gone (`volumes=true`: its volumes too)"
            )
            .Answers<ProjectView>(StatusCodes.Status202Accepted)
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        group
            .MapPost(
                "/{name}/services/{service}/scale",
                async (string name, string service, HttpContext http, ProjectService projects, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<ScaleBody>(http, ct);
                    return body.Error ?? await projects.ScaleAsync(name, service, body.Value!, Caller.From(http), ct);
                }
            )
            .WithSummary("Set how many replicas of a service run")
            .Body<ScaleBody>()
            .Answers<ProjectView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "CONFLICT");

        group
            .MapPost(
                "/{name}/services/{service}/restart",
                async (string name, string service, ProjectService projects, CancellationToken ct) =>
                    await projects.RestartAsync(name, service, ct)
            )
            .WithSummary("Restart every replica of a service")
            .Answers<ProjectView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        group
            .MapGet(
                "/{name}/events",
                async (
                    string name,
                    long? after,
                    bool? follow,
                    HttpContext http,
                    IServiceStore services,
                    TimeProvider time,
                    CancellationToken ct
                ) =>
                {
                    if (after is < 0)
                        return ApiResults.Invalid("after: must be 0 or more");
                    var wantsStream =
                        follow == true
                        || http.Request.Headers.Accept.ToString()
                            .Contains("text/event-stream", StringComparison.Ordinal);
                    if (!wantsStream)
                    {
                        if (
                            await services.GetProjectAsync(name, ct) is null
                            && (await services.ListEventsAsync(name, 0, 1, ct)).Count == 0
                        )
                            return ApiResults.NotFound($"no project named '{name}'");
                        return ApiResults.Json(
                            new ServiceEventListView(await services.ListEventsAsync(name, after ?? 0, 1000, ct))
                        );
                    }
                    if (await services.GetProjectAsync(name, ct) is null)
                        return ApiResults.NotFound($"no project named '{name}'");
                    await StreamAsync(http, name, after ?? 0, services, time, ct);
                    return Results.Empty;
                }
            )
            .WithSummary("A project's replica events: a list, or followed as Server-Sent Events")
            .WithDescription(
                "With `follow=true` or `Accept: text/event-stream` the answer is a stream of Server-Sent Events: "
                    + "the events after `after`, then each new one, until the project is gone."
            )
            .Answers<ServiceEventListView>()
            .Streams(
                "Server-Sent Events: `replica` events (their `id:` is the event's number), then one `end` event once the "
                    + "project is gone; comment lines keep the connection alive every 15 s.",
                new StreamEvent("replica", typeof(ServiceEventView), "A replica's state changed."),
                new StreamEvent("end", typeof(EmptyView), "The project is gone; the last event of the stream.")
            )
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        group
            .MapPost("/{name}/exec", async (string name, HttpContext http, ReplicaExec exec, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<ExecBody>(http, ct);
                return body.Error ?? await exec.RunAsync(name, body.Value!, Caller.From(http), http, ct);
            })
            .WithSummary(
                "Run a command in a running replica through its agent's driver exec (its creator and admins only)"
            )
            .WithDescription(
                "The answer is newline-delimited JSON: one event naming the replica, one per line of output "
                    + "(`stream` stdout or stderr, `text`), then one with the command's `exit_code` (or an `error`). Stdin is not "
                    + "forwarded."
            )
            .Body<ExecBody>()
            .Answers<ExecEventView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "FORBIDDEN", "NOT_OWNER")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "NOT_RUNNING")
            .Errors(StatusCodes.Status504GatewayTimeout, "AGENT_TIMEOUT");

        var agent = app.MapGroup("/api/v1/agent").RequireProtocolVersion();

        agent
            .MapGet("/volumes/removals", async (ProjectService projects, CancellationToken ct) =>
                ApiResults.Json(await projects.VolumeRemovalsAsync(ct))
            )
            .WithSummary("The volumes of projects taken down with `down -v` that agents still hold are to be removed")
            .Answers<VolumeRemovalsView>();

        agent
            .MapPost("/volumes/removed", async (HttpContext http, ProjectService projects, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<VolumesRemovedBody>(http, ct);
                return body.Error ?? await projects.VolumesRemovedAsync(body.Value!, ct);
            })
            .WithSummary("Report the volumes of a project this agent removed")
            .Body<VolumesRemovedBody>()
            .Answers<EmptyView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        agent
            .MapPost("/exec/poll", async (HttpContext http, ExecRelay relay, TimeProvider time, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<ExecPollBody>(http, ct);
                if (body.Error is { } error)
                    return error;
                if (string.IsNullOrEmpty(body.Value!.AgentId))
                    return ApiResults.Invalid("agent_id: required");
                var wait = TimeSpan.FromSeconds(Math.Clamp(body.Value.WaitSeconds ?? 0, 0, 30));
                return ApiResults.Json(new ExecPollAnswer(await relay.TakeAsync(body.Value.AgentId, wait, time, ct)));
            })
            .WithSummary("Long-poll for exec sessions into the replicas this agent runs")
            .Body<ExecPollBody>()
            .Answers<ExecPollAnswer>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        agent
            .MapPost(
                "/exec/{session}/output",
                async (string session, HttpContext http, ExecRelay relay, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<ExecOutputBody>(http, ct);
                    if (body.Error is { } error)
                        return error;
                    return await relay.PostAsync(session, body.Value!, ct)
                        ? ApiResults.Json(EmptyView.Instance)
                        : ApiResults.NotFound($"no exec session '{session}' (its user has gone): stop the command");
                }
            )
            .WithSummary("An exec session's output lines, and at its end its exit code")
            .Body<ExecOutputBody>()
            .Answers<EmptyView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        agent
            .MapPost(
                "/tasks/{id}/health",
                async (string id, HttpContext http, ProjectService projects, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<ReplicaHealthBody>(http, ct);
                    return body.Error ?? await projects.ReportHealthAsync(id, body.Value!, ct);
                }
            )
            .WithSummary("Report a service replica's health, under the task's lease epoch")
            .Body<ReplicaHealthBody>()
            .Answers<EmptyView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "STALE_LEASE");

        agent
            .MapGet(
                "/networks/{project}/{network}/names",
                async (string project, string network, ProjectService projects, CancellationToken ct) =>
                    await projects.NamesAsync(project, network, ct)
            )
            .WithSummary(
                "The names (services, aliases, replica hostnames) and addresses an agent's DNS answers on a project network"
            )
            .Answers<NetworkNamesView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }

    private static async Task StreamAsync(
        HttpContext http,
        string name,
        long after,
        IServiceStore services,
        TimeProvider time,
        CancellationToken ct
    )
    {
        var response = http.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(ct);
        var next = after;
        var lastWrite = time.GetUtcNow();
        while (!ct.IsCancellationRequested)
        {
            var events = await services.ListEventsAsync(name, next, 500, ct);
            foreach (var e in events)
            {
                await response.WriteAsync($"id: {e.Seq}\nevent: replica\ndata: {HearthJson.Serialize(e)}\n\n", ct);
                next = e.Seq;
            }
            if (events.Count > 0)
            {
                await response.Body.FlushAsync(ct);
                lastWrite = time.GetUtcNow();
                continue;
            }
            if (await services.GetProjectAsync(name, ct) is null)
            {
                await response.WriteAsync("event: end\ndata: {}\n\n", ct);
                await response.Body.FlushAsync(ct);
                return;
            }
            if (time.GetUtcNow() - lastWrite >= KeepAlive)
            {
                await response.WriteAsync(": keep-alive\n\n", ct);
                await response.Body.FlushAsync(ct);
                lastWrite = time.GetUtcNow();
            }
            await Task.Delay(Poll, time, ct);
        }
    }
}
