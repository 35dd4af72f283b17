using Hearth.Core.Api;
using Hearth.Core.Locks;
using Hearth.Core.Names;
using Hearth.Server.Api;
using Hearth.Server.Audit;
using Hearth.Server.Background;
using Hearth.Server.OpenApi;
using Hearth.Store.Locks;

namespace Hearth.Server.Locks;

public static class LockEndpoints
{
    public static void MapLockEndpoints(this IEndpointRouteBuilder app)
    {
        var locks = app.MapGroup("/api/v1/locks");

        locks
            .MapGet("", async (ILockStore store, CancellationToken ct) =>
                ApiResults.Json(new LockListView((await store.ListAsync(ct)).Select(LockViews.From).ToList()))
            )
            .WithSummary("List locks")
            .Answers<LockListView>();

        locks
            .MapGet("/{name}", async (string name, ILockStore store, CancellationToken ct) =>
                await store.GetAsync(name, ct) is { } info
                    ? ApiResults.Json(LockViews.From(info))
                    : ApiResults.NotFound($"no lock named '{name}'")
            )
            .WithSummary("One lock: its holder and queue")
            .Answers<LockView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        locks
            .MapPost(
                "/{name}/release",
                async (
                    HttpContext http,
                    string name,
                    ILockStore store,
                    Signals signals,
                    TimeProvider time,
                    Configuration.ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<ReleaseLockBody>(http, ct, options.Access.MaxRunBodyBytes);
                    if (body.Error is { } bad)
                        return bad;
                    if (!body.Value!.Force)
                        return ApiResults.Invalid(
                            "force: must be true (a lock is released by its run's end; forcing takes it from a live holder)"
                        );
                    if (Names.Lock.Problem(name) is { } problem)
                        return ApiResults.Invalid($"name: {problem}");
                    AuditTarget.Set(http, name);
                    var before = await store.ForceReleaseAsync(name, time.GetUtcNow(), ct);
                    if (before is null)
                        return ApiResults.NotFound($"no lock named '{name}'");
                    signals.Pulse(SignalKeys.Work);
                    var after = await store.GetAsync(name, ct);
                    return ApiResults.Json(new ReleasedLockView(LockViews.From(before), LockViews.From(after!)));
                }
            )
            .WithSummary("Force a lock free from its holder")
            .Body<ReleaseLockBody>()
            .Answers<ReleasedLockView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }
}
