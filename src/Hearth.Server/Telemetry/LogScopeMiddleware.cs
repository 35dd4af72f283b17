namespace Hearth.Server.Telemetry;

/// <summary>
/// Puts the run (or task) a request's route names on every log line written while it is handled, as <c>run_id</c> or
/// <c>task_id</c> (the request id is put by <see cref="Auth.RequestIdMiddleware"/>). After routing, so the route's
/// values are known.
/// </summary>
public sealed class LogScopeMiddleware(RequestDelegate next, ILogger<LogScopeMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        var field =
            context.GetRouteValue("id") is not string ? null
            : path.StartsWithSegments("/api/v1/agent/tasks") ? "task_id"
            : path.StartsWithSegments("/api/v1/runs") || path.StartsWithSegments("/api/v1/workflows/runs") ? "run_id"
            : null;
        if (field is null)
        {
            await next(context);
            return;
        }
        using (
            logger.BeginScope<KeyValuePair<string, object?>[]>([
                new KeyValuePair<string, object?>(field, context.GetRouteValue("id")),
            ])
        )
            await next(context);
    }
}
