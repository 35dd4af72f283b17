using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Server.OpenApi;
using Hearth.Store;
using Hearth.Store.Access;

namespace Hearth.Server.Api;

/// <summary>
/// The audit trail (newest first) and the trace of one request: its entries and the records it touched.
/// </summary>
public static class AuditEndpoints
{
    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(
                "/api/v1/audit",
                async (
                    string? actor,
                    string? since,
                    int? limit,
                    IAccessStore store,
                    TimeProvider time,
                    CancellationToken ct
                ) =>
                {
                    DateTimeOffset? from = null;
                    if (since is not null)
                    {
                        if (Durations.TryParse(since, out var ago) && ago > TimeSpan.Zero)
                            from = time.GetUtcNow() - ago;
                        else if (
                            DateTimeOffset.TryParse(
                                since,
                                System.Globalization.CultureInfo.InvariantCulture,
                                System.Globalization.DateTimeStyles.AssumeUniversal,
                                out var at
                            )
                        )
                            from = at;
                        else
                            return ApiResults.Invalid(
                                $"since: '{since}' is neither a duration (1h, 30m) nor a time (2025-01-31T12:00:00Z)"
                            );
                    }
                    if (limit is < 0)
                        return ApiResults.Invalid("limit: must be 0 (all) or more");
                    var entries = await store.QueryAuditAsync(new AuditQuery(actor, from, null, limit ?? 100), ct);
                    return ApiResults.Json(new AuditListView(entries.Select(View).ToList()));
                }
            )
            .WithSummary("The audit trail, newest first")
            .Answers<AuditListView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        app.MapGet(
                "/api/v1/trace/{requestId}",
                async (string requestId, IAccessStore store, IRunStore runs, CancellationToken ct) =>
                {
                    var entries = await store.QueryAuditAsync(new AuditQuery(RequestId: requestId, Limit: 0), ct);
                    if (entries.Count == 0)
                        return ApiResults.NotFound($"no audit entries for request '{requestId}'");
                    var runViews = new List<RunView>();
                    var secretViews = new List<SecretView>();
                    var userViews = new List<UserView>();
                    foreach (var target in entries.Select(e => e.Target).OfType<string>().Distinct())
                    {
                        if (await runs.GetRunAsync(target, ct) is { } run)
                            runViews.Add(RunView.From(run));
                        if (await store.GetSecretAsync(target, ct) is { } secret)
                            secretViews.Add(SecretEndpoints.View(secret));
                        if (await store.GetUserAsync(target, ct) is { } user)
                            userViews.Add(UserEndpoints.View(user));
                    }
                    return ApiResults.Json(
                        new TraceView(requestId, entries.Select(View).ToList(), runViews, secretViews, userViews)
                    );
                }
            )
            .WithSummary("One request's audit entries and the records it touched")
            .Answers<TraceView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }

    public static AuditEntryView View(AuditEntry e) =>
        new(e.RequestId, e.Time, e.Actor, e.Action, e.Method, e.Path, e.Target, e.Status, e.Result, e.ClientAddress);
}
