using Hearth.Core.Api;
using Hearth.Server.OpenApi;
using Hearth.Store;

namespace Hearth.Server.Api;

public static class HealthEndpoints
{
    public static string Version => typeof(HealthEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static void MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => ApiResults.Json(new HealthView("ok", Version)))
            .WithSummary("Liveness and version")
            .Answers<HealthView>();
        app.MapGet("/ready", async (IRunStore store, CancellationToken ct) =>
            {
                try
                {
                    await store.PingAsync(ct);
                    return ApiResults.Json(new HealthView("ready"));
                }
                catch (System.Data.Common.DbException e)
                {
                    return ApiResults.Error(
                        StatusCodes.Status503ServiceUnavailable,
                        "DATABASE_ERROR",
                        $"the store cannot be read or written: {e.Message}"
                    );
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return ApiResults.Error(
                        StatusCodes.Status503ServiceUnavailable,
                        "SERVICE_UNAVAILABLE",
                        $"store not ready: {e.Message}"
                    );
                }
            })
            .WithSummary("Readiness: whether the store answers")
            .Answers<HealthView>()
            .Errors(StatusCodes.Status503ServiceUnavailable, "SERVICE_UNAVAILABLE", "DATABASE_ERROR");
    }
}
