using Hearth.Core.Runs;

namespace Hearth.Server.Api;

/// <summary>Whatever escapes a handler becomes a JSON error, never a torn connection or an HTML page.</summary>
public sealed class ErrorMiddleware(
    RequestDelegate next,
    Telemetry.HearthMetrics metrics,
    ILogger<ErrorMiddleware> logger
)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            if (DatabaseErrors.Map(e) is { } database)
            {
                logger.LogWarning(
                    e,
                    "{Method} {Path}: database error answered {Status} {Code}",
                    context.Request.Method,
                    context.Request.Path,
                    database.Status,
                    database.Code
                );
                if (database.Transient)
                    context.Response.Headers.RetryAfter = "1";
                metrics.Error("database");
                await ApiResults.Error(database.Status, database.Code, database.Message).ExecuteAsync(context);
                return;
            }
            var (status, code) = e switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (
                    StatusCodes.Status413PayloadTooLarge,
                    "PAYLOAD_TOO_LARGE"
                ),
                BadHttpRequestException bad => (bad.StatusCode, "INVALID_REQUEST"),
                IllegalTransitionException => (StatusCodes.Status409Conflict, "CONFLICT"),
                _ => (StatusCodes.Status500InternalServerError, "INTERNAL_ERROR"),
            };
            metrics.Error(
                code switch
                {
                    "INTERNAL_ERROR" => "internal",
                    "CONFLICT" => "conflict",
                    _ => "bad_request",
                }
            );
            if (status >= 500)
                logger.LogError(e, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            await ApiResults.Error(status, code, e.Message).ExecuteAsync(context);
        }
    }
}
