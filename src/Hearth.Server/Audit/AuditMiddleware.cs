using Hearth.Server.Auth;
using Hearth.Store.Access;

namespace Hearth.Server.Audit;

/// <summary>
/// Records every mutating request once it has been answered, refusals included: request id, actor, action, target,
/// status and result, client address. The agent protocol's data plane (lease polls, heartbeats, log chunks, results)
/// is not recorded here: it is the run's own history, and a line per heartbeat would drown the trail.
/// </summary>
public sealed class AuditMiddleware(
    RequestDelegate next,
    IAccessStore store,
    TimeProvider time,
    ILogger<AuditMiddleware> logger
)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (
            HttpMethods.IsGet(context.Request.Method)
            || HttpMethods.IsHead(context.Request.Method)
            || HttpMethods.IsOptions(context.Request.Method)
        )
        {
            await next(context);
            return;
        }
        try
        {
            await next(context);
        }
        finally
        {
            var rule = EndpointRules.Of(context);
            if (rule is not { Permission: "agent.report" or "agent.lease" } && !RecordedDelivery(rule, context))
                await RecordAsync(context, rule);
        }
    }

    /// <summary>
    /// A webhook delivery answered 2xx is recorded in full (scrubbed headers and body, outcome, runs) in the same
    /// transaction as its runs; a second, audit, commit per delivery would halve the receiver's rate. Refusals are
    /// audited.
    /// </summary>
    private static bool RecordedDelivery(EndpointRule? rule, HttpContext context) =>
        rule?.Permission == "webhooks.receive" && context.Response.StatusCode is >= 200 and < 300;

    private async Task RecordAsync(HttpContext context, EndpointRule? rule)
    {
        var status = context.Response.StatusCode;
        var entry = new AuditEntry(
            RequestIdMiddleware.Of(context),
            time.GetUtcNow(),
            Caller.Find(context)?.Name ?? "anonymous",
            rule?.Permission ?? "unknown",
            context.Request.Method,
            rule?.Permission == "users.claim" ? "/api/v1/claim/***" : context.Request.Path.ToString(),
            AuditTarget.Get(context) ?? (rule?.Permission == "users.claim" ? null : EndpointRules.RouteId(context)),
            status,
            Result(status),
            ClientAddress.Of(context)
        );
        try
        {
            await store.AppendAuditAsync(entry, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(
                e,
                "could not record audit entry for request {RequestId} ({Action} by {Actor})",
                entry.RequestId,
                entry.Action,
                entry.Actor
            );
        }
    }

    private static string Result(int status) =>
        status switch
        {
            < 400 => "ok",
            401 => "unauthenticated",
            403 => "forbidden",
            404 => "not_found",
            409 or 410 => "conflict",
            413 => "too_large",
            429 => "throttled",
            < 500 => "invalid",
            503 => "unavailable",
            _ => "error",
        };
}
