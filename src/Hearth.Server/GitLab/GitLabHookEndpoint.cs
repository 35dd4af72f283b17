using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;

namespace Hearth.Server.GitLab;

/// <summary>
/// GitLab's Job Hook, as FireRunner took it: a job created or pending wakes the poller at once instead of at its next
/// poll. Authenticated by the hook's secret token (X-Gitlab-Token, compared in constant time); refused when it is
/// missing or wrong. The created and pending events of one job wake it once. It only wakes (and, for a job whose tags
/// name a microVM size, offers the agents a prewarm hint: <see cref="JobPrewarm"/>): the job itself still comes from
/// /jobs/request, so a forged event can start nothing.
/// </summary>
public static class GitLabHookEndpoint
{
    public const string TokenHeader = "X-Gitlab-Token";

    public static void MapGitLabHook(this IEndpointRouteBuilder app)
    {
        app.MapPost(
                "/api/v1/gitlab/hook",
                async (
                    HttpContext http,
                    ServerOptions options,
                    GitLabSignals signals,
                    Hearth.Store.GitLab.IGitLabStore store,
                    Agents.PrewarmHints prewarm,
                    CancellationToken ct
                ) =>
                {
                    if (options.GitLab.WebhookToken is not { Length: > 0 } expected)
                        return ApiResults.NotFound(
                            "the GitLab Job Hook is off: set gitlab.webhook_token in server.yaml"
                        );
                    if (http.Request.Headers[TokenHeader] is not [{ Length: > 0 } sent])
                        return ApiResults.Error(
                            StatusCodes.Status401Unauthorized,
                            "UNAUTHORIZED",
                            $"{TokenHeader} is missing"
                        );
                    if (
                        !CryptographicOperations.FixedTimeEquals(
                            SHA256.HashData(Encoding.UTF8.GetBytes(sent)),
                            SHA256.HashData(Encoding.UTF8.GetBytes(expected))
                        )
                    )
                        return ApiResults.Error(
                            StatusCodes.Status401Unauthorized,
                            "UNAUTHORIZED",
                            $"{TokenHeader} does not match gitlab.webhook_token"
                        );
                    JsonNode? body;
                    try
                    {
                        body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: ct);
                    }
                    catch (JsonException e)
                    {
                        return ApiResults.Invalid($"body: expected GitLab's Job Hook JSON ({e.Message})");
                    }
                    if (
                        body?["object_kind"]?.GetValueKind() != JsonValueKind.String
                        || (string?)body["object_kind"] != "build"
                    )
                        return ApiResults.Json(
                            new MessageView("not a Job Hook event; ignored"),
                            StatusCodes.Status202Accepted
                        );
                    var status =
                        body["build_status"]?.GetValueKind() == JsonValueKind.String
                            ? (string?)body["build_status"]
                            : null;
                    if (
                        body["build_id"]?.GetValueKind() != JsonValueKind.Number
                        || !body["build_id"]!.AsValue().TryGetValue(out long jobId)
                    )
                        return ApiResults.Invalid("build_id: expected the job's id (a number)");
                    if (status is not ("created" or "pending"))
                        return ApiResults.Json(
                            new MessageView($"job {jobId} is {status ?? "of no status"}; nothing to take"),
                            StatusCodes.Status202Accepted
                        );
                    if (!signals.FirstHookFor(jobId))
                        return ApiResults.Json(
                            new MessageView($"job {jobId} was announced already"),
                            StatusCodes.Status202Accepted
                        );
                    signals.WakePoller();
                    var tags = body["tags"] is JsonArray array
                        ? array.Where(t => t?.GetValueKind() == JsonValueKind.String).Select(t => (string)t!).ToList()
                        : [];
                    var hint = JobPrewarm.For(jobId, tags, await store.ListRunnersAsync(ct), options.GitLab);
                    if (hint is not null)
                        prewarm.Offer(hint);
                    var warming = hint is null
                        ? ""
                        : $"; pre-warming a {hint.Cpus}cpu-{hint.MemoryBytes >> 20}mb microVM";
                    return ApiResults.Json(
                        new MessageView($"job {jobId} is {status}: asking GitLab for jobs now{warming}"),
                        StatusCodes.Status202Accepted
                    );
                }
            )
            .WithSummary("GitLab Job Hook: wakes the runner bridge's poller (X-Gitlab-Token)")
            .Answers<MessageView>(StatusCodes.Status202Accepted)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status401Unauthorized, "UNAUTHORIZED")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }
}
