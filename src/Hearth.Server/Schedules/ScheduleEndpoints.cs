using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;
using Hearth.Store.Schedules;

namespace Hearth.Server.Schedules;

public static class ScheduleEndpoints
{
    public static void MapScheduleEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/schedules");

        group
            .MapPost(
                "",
                async (HttpContext http, ScheduleService service, ServerOptions options, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<CreateScheduleBody>(
                        http,
                        ct,
                        options.Access.MaxRunBodyBytes
                    );
                    if (body.Error is { } bad)
                        return bad;
                    return await service.CreateAsync(body.Value!, Caller.From(http), ct);
                }
            )
            .WithSummary("Create a schedule that runs a workflow plan or a command, as the caller, at each fire time")
            .Body<CreateScheduleBody>()
            .Answers<ScheduleView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(
                StatusCodes.Status403Forbidden,
                "FORBIDDEN",
                "SECRET_OUT_OF_SCOPE",
                "DRIVER_FORBIDDEN",
                "DRIVER_REQUIRED"
            )
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND")
            .Errors(StatusCodes.Status409Conflict, "CONFLICT");

        group
            .MapGet("", async (IScheduleStore store, TimeProvider time, CancellationToken ct) =>
            {
                var now = time.GetUtcNow();
                return ApiResults.Json(
                    new ScheduleListView((await store.ListAsync(ct)).Select(s => ScheduleViews.From(s, now)).ToList())
                );
            })
            .WithSummary("List schedules by name, each with its next fire time")
            .Answers<ScheduleListView>();

        group
            .MapGet("/{name}", async (string name, IScheduleStore store, TimeProvider time, CancellationToken ct) =>
                await store.GetAsync(name, ct) is { } schedule
                    ? ApiResults.Json(ScheduleViews.From(schedule, time.GetUtcNow()))
                    : ApiResults.NotFound($"no schedule named '{name}'")
            )
            .WithSummary("One schedule")
            .Answers<ScheduleView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        group
            .MapDelete("/{name}", async (string name, IScheduleStore store, TimeProvider time, CancellationToken ct) =>
            {
                if (await store.GetAsync(name, ct) is not { } schedule || !await store.DeleteAsync(name, ct))
                    return ApiResults.NotFound($"no schedule named '{name}'");
                return ApiResults.Json(ScheduleViews.From(schedule, time.GetUtcNow()));
            })
            .WithSummary("Remove a schedule; runs it started are kept")
            .Answers<ScheduleView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }
}
