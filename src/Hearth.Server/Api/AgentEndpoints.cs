using Hearth.Core.Api;
using Hearth.Server.Agents;
using Hearth.Server.OpenApi;

namespace Hearth.Server.Api;

/// <summary>
/// The pull protocol's endpoints: agents open no ports; they register, long-poll for assignments, and report under each
/// lease's epoch. Each endpoint binds its body and calls <see cref="AgentProtocol"/> (authorisation is the access
/// middleware's; every call must name a protocol version this server speaks, <see cref="ProtocolVersions"/>).
/// </summary>
public static class AgentEndpoints
{
    public static void MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var agent = app.MapGroup("/api/v1/agent").RequireProtocolVersion();

        agent
            .MapPost("/register", async (HttpContext http, AgentProtocol protocol, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<RegisterAgentBody>(http, ct);
                return body.Error ?? (await protocol.RegisterAsync(body.Value!, ct)).ToHttp();
            })
            .WithSummary("Register an agent")
            .Body<RegisterAgentBody>()
            .Answers<RegisterAgentView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        agent
            .MapPost("/lease", async (HttpContext http, AgentProtocol protocol, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<LeaseRequest>(http, ct);
                return body.Error ?? (await protocol.LeaseAsync(body.Value!, http.RequestAborted)).ToHttp();
            })
            .WithSummary("Long-poll for up to `slots` assignments (an empty list when the poll ends empty)")
            .Body<LeaseRequest>()
            .Answers<LeaseAnswer>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        agent
            .MapPost("/drain", async (HttpContext http, AgentProtocol protocol, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<AgentRef>(http, ct);
                return body.Error ?? (await protocol.DrainAsync(body.Value!, ct)).ToHttp();
            })
            .WithSummary("Take no more work (on every server sharing the store)")
            .Body<AgentRef>()
            .Answers<EmptyView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        agent
            .MapPost(
                "/tasks/{id}/running",
                async (HttpContext http, string id, AgentProtocol protocol, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<RunningBody>(http, ct);
                    return body.Error ?? (await protocol.MarkRunningAsync(id, body.Value!, ct)).ToHttp(id);
                }
            )
            .WithSummary("The task's sandbox is running")
            .Body<RunningBody>()
            .Answers<EmptyView>()
            .TaskWriteErrors();

        agent
            .MapPost(
                "/tasks/{id}/heartbeat",
                async (HttpContext http, string id, AgentProtocol protocol, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<HeartbeatBody>(http, ct);
                    return body.Error ?? (await protocol.HeartbeatAsync(id, body.Value!, ct)).ToHttp(id);
                }
            )
            .WithSummary("Renew the lease and wait for a stop")
            .Body<HeartbeatBody>()
            .Answers<HeartbeatView>()
            .TaskWriteErrors();

        agent
            .MapPost(
                "/tasks/{id}/logs",
                async (HttpContext http, string id, AgentProtocol protocol, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<LogChunkBody>(http, ct);
                    return body.Error ?? (await protocol.AppendLogsAsync(id, body.Value!, ct)).ToHttp(id);
                }
            )
            .WithSummary("Ship a chunk of log lines")
            .Body<LogChunkBody>()
            .Answers<LogChunkView>()
            .TaskWriteErrors()
            .Errors(StatusCodes.Status409Conflict, "LOG_GAP");

        agent
            .MapPost(
                "/tasks/{id}/complete",
                async (HttpContext http, string id, AgentProtocol protocol, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<CompleteBody>(http, ct);
                    return body.Error
                        ?? (await protocol.CompleteAsync(id, body.Value!, http.RequestAborted, ct)).ToHttp(id);
                }
            )
            .WithSummary("Report the task's result (and take the slot's next task)")
            .Body<CompleteBody>()
            .Answers<CompleteView>()
            .TaskWriteErrors()
            .Errors(StatusCodes.Status409Conflict, "LOG_GAP");
    }

    /// <summary>What a task's write answers besides success.</summary>
    private static RouteHandlerBuilder TaskWriteErrors(this RouteHandlerBuilder builder) =>
        builder
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "STALE_LEASE", "CONFLICT");
}
