using Hearth.Core.Api;
using Hearth.Server.Background;
using Hearth.Server.Configuration;
using Hearth.Server.Secrets;
using Hearth.Store;
using Hearth.Core.Runs;
using Hearth.Server.OpenApi;

namespace Hearth.Server.Api;

/// <summary>The pull protocol: agents open no ports; they register, long-poll for a lease, and report under its epoch.</summary>
public static class AgentEndpoints
{
    public static void MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        var agent = app.MapGroup("/api/v1/agent");

        agent.MapPost("/register", async (HttpContext http, IRunStore store, ServerOptions options, TimeProvider time, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<RegisterAgentBody>(http, ct);
            if (body.Error is { } bad) return bad;
            var request = body.Value!;
            if (string.IsNullOrWhiteSpace(request.Name)) return ApiResults.Invalid("name: required");
            if (request.Capacity is < 1 or > 1024) return ApiResults.Invalid("capacity: must be between 1 and 1024");
            var record = await store.RegisterAgentAsync(
                new AgentRegistration(request.Name, request.Labels ?? [], request.Capacity, request.Version ?? "unknown", request.Drivers ?? []),
                time.GetUtcNow(), ct);
            return ApiResults.Json(new RegisterAgentView(record.Id, options.LeaseTtl.TotalSeconds, options.HeartbeatInterval.TotalSeconds, options.LongPoll.TotalSeconds));
        })
            .WithSummary("Register an agent")
            .Body<RegisterAgentBody>()
            .Answers<RegisterAgentView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        agent.MapPost("/lease", async (HttpContext http, LeaseDispatcher dispatcher, LeaseSecrets secrets, Git.LeaseGit git, Locks.LeaseLocks locks,
            LogMasks masks, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<LeaseBody>(http, ct);
            if (body.Error is { } bad) return bad;
            var lease = await dispatcher.WaitForLeaseAsync(body.Value!, http.RequestAborted);
            if (lease is not null) lease = await AttachAsync(lease, secrets, git, locks, masks);
            return lease is null ? Results.NoContent() : ApiResults.Json(lease);
        })
            .WithSummary("Long-poll for a task's lease (204 when the poll ends empty)")
            .Body<LeaseBody>()
            .Answers<LeaseView>()
            .Produces(StatusCodes.Status204NoContent);

        agent.MapPost("/drain", async (HttpContext http, LeaseDispatcher dispatcher, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<LeaseBody>(http, ct);
            if (body.Error is { } bad) return bad;
            if (!await dispatcher.DrainAsync(body.Value!.AgentId, ct)) return ApiResults.NotFound($"agent {body.Value!.AgentId} is not registered");
            return ApiResults.Json(EmptyView.Instance);
        })
            .WithSummary("Take no more work (on every server sharing the store)")
            .Body<LeaseBody>()
            .Answers<EmptyView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        agent.MapPost("/tasks/{id}/running", async (HttpContext http, string id, IRunStore store, TimeProvider time, ServerOptions options, Signals signals,
            HearthMetrics metrics, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<RunningBody>(http, ct);
            if (body.Error is { } bad) return bad;
            var startedAt = AgentClock.StartedAt(body.Value!.StartedAt, time.GetUtcNow(), options.LeaseTtl);
            var result = await store.MarkRunningAsync(id, body.Value.Epoch, startedAt, ct);
            if (result is { Status: WriteStatus.Accepted, RunId: { } runId }) signals.Pulse(SignalKeys.Run(runId));
            return Written(result.Status, id, EmptyView.Instance, metrics, "running");
        })
            .WithSummary("The task's sandbox is running")
            .Body<RunningBody>()
            .Answers<EmptyView>()
            .TaskWriteErrors();

        agent.MapPost("/tasks/{id}/heartbeat", async (HttpContext http, string id, HeartbeatWaiter waiter, HearthMetrics metrics, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<HeartbeatBody>(http, ct);
            if (body.Error is { } bad) return bad;
            var result = await waiter.BeatAsync(id, body.Value!, ct);
            return Written(result.Status, id, new HeartbeatView(result.Stop, result.ExpiresAt, result.Ended), metrics, "heartbeat");
        })
            .WithSummary("Renew the lease and wait for a stop")
            .Body<HeartbeatBody>()
            .Answers<HeartbeatView>()
            .TaskWriteErrors();

        agent.MapPost("/tasks/{id}/logs", async (HttpContext http, string id, IRunStore store, Signals signals, HearthMetrics metrics, LogMasks masks, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<LogChunkBody>(http, ct);
            if (body.Error is { } bad) return bad;
            var chunk = body.Value!;
            if (chunk.Offset < 0) return ApiResults.Invalid("offset: must be 0 or more");
            var lines = await masks.MaskAsync(id, chunk.Lines ?? [], ct);
            var result = await store.AppendLogsAsync(id, chunk.Epoch, chunk.Offset, lines, ct);
            if (result.Gap)
                return ApiResults.Error(StatusCodes.Status409Conflict, "LOG_GAP", $"expected lines from offset {result.NextOffset}", new LogChunkView(result.NextOffset));
            if (result is { Status: WriteStatus.Accepted, RunId: { } runId }) signals.Pulse(SignalKeys.Lines(runId));
            return Written(result.Status, id, new LogChunkView(result.NextOffset), metrics, "logs");
        })
            .WithSummary("Ship a chunk of log lines")
            .Body<LogChunkBody>()
            .Answers<LogChunkView>()
            .TaskWriteErrors()
            .Errors(StatusCodes.Status409Conflict, "LOG_GAP");

        agent.MapPost("/tasks/{id}/complete", async (HttpContext http, string id, IRunStore store, TimeProvider time, ServerOptions options, Signals signals,
            HearthMetrics metrics, LogMasks masks, LeaseDispatcher dispatcher, LeaseSecrets secrets, Git.LeaseGit git,
            Locks.LeaseLocks locks, CancellationToken ct) =>
        {
            var body = await RequestBody.ReadAsync<CompleteBody>(http, ct);
            if (body.Error is { } bad) return bad;
            var request = body.Value!;
            if (request.LogOffset < 0) return ApiResults.Invalid("log_offset: must be 0 or more");
            var now = time.GetUtcNow();
            var completion = new Completion(
                new Core.Runs.TaskResult(request.ExitCode, request.OomKilled, await masks.MaskTextAsync(id, request.Error, ct)),
                request.StartedAt is null ? null : AgentClock.StartedAt(request.StartedAt, now, options.LeaseTtl),
                request.LogOffset,
                request.Lines is { Count: > 0 } lines ? await masks.MaskAsync(id, lines, ct) : null)
            {
                FirstOutputAt = request.FirstOutputAt is null ? null : AgentClock.StartedAt(request.FirstOutputAt, now, options.LeaseTtl),
                ExitedAt = request.ExitedAt is null ? null : AgentClock.StartedAt(request.ExitedAt, now, options.LeaseTtl),
            };
            var claim = request.Next is { } next ? await dispatcher.NextClaimAsync(next, ct) : null;
            var (result, granted) = claim is null
                ? (await store.CompleteAsync(id, request.Epoch, completion, now, ct), null)
                : await store.CompleteAndClaimAsync(id, request.Epoch, completion, now, claim, ct);
            if (result.LogGapAt is { } expected)
                return ApiResults.Error(StatusCodes.Status409Conflict, "LOG_GAP", $"expected lines from offset {expected}", new LogChunkView(expected));
            if (result.Status == WriteStatus.Accepted)
            {
                metrics.TasksCompleted.Inc();
                if (result.RunId is { } runId) signals.Pulse(SignalKeys.Run(runId));
                // Its end freed a lock, queued the next steps or requeued the task: only then is there new work for every
                // poll to look at.
                if (result.FreedLock) signals.Pulse(SignalKeys.Work);
            }
            LeaseView? nextLease = null;
            if (granted is not null)
            {
                if (http.RequestAborted.IsCancellationRequested) await dispatcher.GiveBackAsync(claim!.AgentId, granted);
                else nextLease = await AttachAsync(dispatcher.Granted(granted), secrets, git, locks, masks);
            }
            return Written(result.Status, id, new CompleteView(nextLease), metrics, "complete");
        })
            .WithSummary("Report the task's result (and take the slot's next task)")
            .Body<CompleteBody>()
            .Answers<CompleteView>()
            .TaskWriteErrors()
            .Errors(StatusCodes.Status409Conflict, "LOG_GAP");
    }

    /// <summary>What a granted lease carries beyond the stored spec: its secrets, its git credentials, its locks' tokens.</summary>
    /// <remarks>Last, the secret values it carries are kept with the task (encrypted), before the agent can print them.</remarks>
    private static async Task<LeaseView?> AttachAsync(LeaseView lease, LeaseSecrets secrets, Git.LeaseGit git, Locks.LeaseLocks locks,
        LogMasks masks)
    {
        var attached = await secrets.AttachAsync(lease, CancellationToken.None);
        if (attached is not null) attached = await git.AttachAsync(attached, CancellationToken.None);
        if (attached is not null) attached = await locks.AttachAsync(attached, CancellationToken.None);
        if (attached is not null && !await masks.KeepAsync(attached, CancellationToken.None)) return null;
        return attached;
    }

    /// <summary>What <see cref="Written"/> answers besides success.</summary>
    private static RouteHandlerBuilder TaskWriteErrors(this RouteHandlerBuilder builder) => builder
        .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
        .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
        .Errors(StatusCodes.Status409Conflict, "STALE_LEASE", "CONFLICT");

    private static IResult Written<T>(WriteStatus status, string taskId, T body, HearthMetrics metrics, string call)
    {
        if (status == WriteStatus.Stale) metrics.StaleWrites.WithLabels(call).Inc();
        return status switch
        {
            WriteStatus.Accepted => ApiResults.Json(body),
            WriteStatus.Stale => ApiResults.Stale(taskId),
            _ => ApiResults.NotFound($"no task with id '{taskId}'"),
        };
    }
}
