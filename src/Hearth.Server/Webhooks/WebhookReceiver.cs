using System.Security.Cryptography;
using System.Text.Json;
using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.Creation;
using Hearth.Server.Repositories;
using Hearth.Server.Secrets;
using Hearth.Server.Statuses;
using Hearth.Server.Telemetry;
using Hearth.Server.Webhooks.Events;
using Hearth.Server.Workflows;
using Hearth.Store;
using Hearth.Workflows.Model;
using Microsoft.AspNetCore.Http.Features;

namespace Hearth.Server.Webhooks;

/// <summary>
/// One delivery, in the order the receiver rules ask: the size limit before reading, the signature over the raw bytes,
/// an ignored event answered 2xx, then the workflow files read at the pushed commit and the delivery recorded with the
/// runs it starts in one transaction before the answer. A repeat (a delivery id recorded before) is found by that
/// transaction, which then writes nothing: answered 2xx with the runs it started the first time. 401 is only for bad
/// authentication; when Hearth itself fails (its database, a fetch), the answer is 5xx so the forge retries.
/// </summary>
public sealed class WebhookReceiver(
    RepositoryService repositories,
    IRunStore store,
    RunService runs,
    WorkflowService workflows,
    WorkflowMatcher matcher,
    RepositorySecretPolicy secretPolicy,
    GitCache git,
    DriverPolicy drivers,
    CommitStatusService statuses,
    ServerOptions options,
    TimeProvider time,
    HearthMetrics metrics,
    ILogger<WebhookReceiver> logger
)
{
    /// <summary>
    /// Runs a repository starts run as this role's would (a sandbox, never the process driver unless it may).
    /// </summary>
    public const string RunRole = Roles.Developer;

    public async Task<IResult> ReceiveAsync(HttpContext http, string forgeName, string name, CancellationToken ct)
    {
        try
        {
            return await ReceiveOnceAsync(http, forgeName, name, ct);
        }
        catch (ServerStoppingException stopping)
        {
            // Nothing was recorded: the forge retries (later, or at another server).
            http.Response.Headers.RetryAfter = "1";
            metrics.WebhookDelivered(forgeName, "failed");
            return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "SHUTTING_DOWN", stopping.Message);
        }
    }

    private async Task<IResult> ReceiveOnceAsync(HttpContext http, string forgeName, string name, CancellationToken ct)
    {
        var forge = Forge.Find(forgeName);
        if (forge is null)
            return ApiResults.NotFound(
                $"no webhook endpoint for '{forgeName}' (expected {string.Join(", ", Forge.All.Select(f => f.Name))})"
            );
        var max = options.Access.MaxWebhookBodyBytes;
        if (http.Request.ContentLength > max)
            return RequestBody.TooLarge(max);
        var repository = await repositories.GetForDeliveryAsync(name, ct);
        if (repository is null)
            return ApiResults.NotFound($"no repository named '{name}'");
        if (forge != Forge.Standard && forge.Name != repository.Forge)
            return ApiResults.NotFound(
                $"repository '{name}' takes {repository.Forge} deliveries at {RepositoryService.View(repository).WebhookPath}"
            );

        var body = await ReadAsync(http, max, ct);
        if (body is null)
            return RequestBody.TooLarge(max);

        IReadOnlyList<string> secrets;
        try
        {
            secrets = repositories.Secrets(repository);
        }
        catch (SecretUnavailableException e)
        {
            logger.LogError("webhook for {Repository}: {Problem}", name, e.Message);
            metrics.WebhookDelivered(forge.Name, "failed");
            return ApiResults.Error(
                StatusCodes.Status503ServiceUnavailable,
                "SECRET_UNAVAILABLE",
                "the repository's webhook secret cannot be opened"
            );
        }
        var verification = forge.Scheme(time).Verify(http.Request.Headers, body, secrets);
        if (!verification.Verified)
        {
            logger.LogWarning("webhook for {Repository} refused: {Problem}", name, verification.Problem);
            metrics.WebhookDelivered(forge.Name, "bad_signature");
            return ApiResults.Error(StatusCodes.Status401Unauthorized, "INVALID_SIGNATURE", verification.Problem!);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            metrics.WebhookDelivered(forge.Name, "invalid");
            return ApiResults.Error(
                StatusCodes.Status400BadRequest,
                "INVALID_PAYLOAD",
                $"the body is not JSON: {e.Message}"
            );
        }
        using (document)
        {
            var eventName = forge.EventOf(http.Request.Headers);
            var e =
                forge == Forge.Standard || eventName.Length > 0
                    ? forge.Events.Normalise(eventName, document.RootElement)
                    : ForgeEvent.Ignore("", $"no {forge.EventHeader} header");
            var deliveryId = forge.DeliveryOf(http.Request.Headers)
                ?? "sha256:" + Convert.ToHexStringLower(SHA256.HashData(body));
            var delivery = new WebhookDelivery(
                name,
                deliveryId,
                forge.Name,
                e.Event,
                time.GetUtcNow(),
                DeliveryScrubber.Headers(http.Request.Headers, secrets),
                DeliveryScrubber.Body(body, document.RootElement, secrets),
                ""
            );
            if (e.Kind == ForgeEventKind.Ignored)
            {
                var ignored = await runs.CreateForDeliveryAsync(
                    delivery with
                    {
                        Outcome = "ignored: " + e.IgnoredBecause,
                    },
                    [],
                    ct
                );
                if (!ignored.Recorded)
                    return Repeat(delivery, ignored.RunIds);
                metrics.WebhookDelivered(forge.Name, "ignored");
                return Answer(
                    new DeliveryView(name, deliveryId, e.Event, false, "ignored: " + e.IgnoredBecause, [], [])
                );
            }
            return await StartAsync(repository, delivery, e, CommitStatusService.RunsUrl(http.Request), ct);
        }
    }

    private async Task<IResult> StartAsync(
        Store.Repositories.RepositoryRecord repository,
        WebhookDelivery delivery,
        ForgeEvent e,
        string runsUrl,
        CancellationToken ct
    )
    {
        var access = repositories.Access(repository);
        string commit;
        try
        {
            commit = await git.FetchAsync(
                access,
                e.CommitSha ?? FallbackRef(repository.Forge, e) ?? "HEAD",
                FallbackRef(repository.Forge, e),
                ct
            );
        }
        catch (GitException failed)
        {
            // A repeat of a delivery recorded before needs no commit: the runs it started are its answer.
            if (await store.FindDeliveryAsync(repository.Name, delivery.DeliveryId, ct) is { } seen)
            {
                await statuses.TrackAsync(repository, seen.RunIds, runsUrl, ct);
                return Repeat(delivery, seen.RunIds);
            }
            logger.LogError("webhook for {Repository}: {Problem}", repository.Name, failed.Message);
            metrics.WebhookDelivered(delivery.Forge, "failed");
            return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "FETCH_FAILED", failed.Message);
        }
        var trigger = new TriggerEvent(e.Trigger!, e.Branch, e.Tag, e.PrAction, e.ChangedPaths);
        var variables = WorkflowMatcher.Variables(trigger, commit, e.PrNumber);
        var matches = await secretPolicy.ApplyAsync(
            repository,
            await matcher.MatchAsync(access, repository.Url, commit, repository.Workflows, trigger, variables, ct),
            e.FromFork,
            ct
        );
        var (outcome, views) = await CreateAsync(
            repository,
            delivery with
            {
                Event = e.Event,
            },
            matches,
            key: delivery.DeliveryId,
            ct
        );
        // The first status goes into the outbox before the answer; the runs' later states are reported from the store.
        // A repeat tracks its runs again: the first answer may have been lost before they were tracked (idempotent).
        await statuses.TrackAsync(repository, outcome.RunIds, runsUrl, ct);
        if (outcome.Duplicate)
            return Repeat(delivery, outcome.RunIds);
        metrics.WebhookDelivered(delivery.Forge, outcome.RunIds.Count > 0 ? "started" : "no_match");
        return Answer(outcome with { CommitSha = commit });
    }

    /// <summary>
    /// Creates the matched workflows' runs with the delivery in one transaction; settles runs whose every step was
    /// skipped.
    /// </summary>
    internal async Task<(DeliveryView View, IReadOnlyList<WorkflowMatchView> Workflows)> CreateAsync(
        Store.Repositories.RepositoryRecord repository,
        WebhookDelivery delivery,
        IReadOnlyList<WorkflowMatch> matches,
        string key,
        CancellationToken ct
    )
    {
        var (driver, refused) = drivers.ForUnnamed(RunRole);
        var started = matches.Where(m => m.Plan is not null).ToList();
        if (refused is not null)
            started = [];
        var drafts = started
            .Select(m =>
                workflows.Draft(
                    m.Plan!,
                    CreatedBy(repository.Name),
                    driver,
                    new HashSet<string>(),
                    new IdempotencyKey($"delivery:{key}:{m.Workflow}", m.Workflow)
                )
            )
            .ToList();
        var outcome =
            started.Count == 0
                ? "no workflow started: "
                    + string.Join(
                        "; ",
                        matches.Select(m => $"{m.Workflow}: {m.Skipped ?? $"role {RunRole} may run no sandbox"}")
                    )
                : "started " + string.Join(", ", started.Select(m => m.Workflow));
        var result = await runs.CreateForDeliveryAsync(delivery with { Outcome = outcome }, drafts, ct);
        if (result.Recorded)
        {
            foreach (var (match, runId) in started.Zip(result.RunIds))
                await workflows.SettleAsync(match.Plan!, runId, ct);
        }
        var byWorkflow = started
            .Zip(result.RunIds)
            .ToDictionary(p => p.First.Workflow, p => p.Second, StringComparer.Ordinal);
        var views = matches
            .Select(m => new WorkflowMatchView(m.Workflow, byWorkflow.GetValueOrDefault(m.Workflow), m.Skipped))
            .ToList();
        return (
            new DeliveryView(
                repository.Name,
                delivery.DeliveryId,
                delivery.Event,
                !result.Recorded,
                outcome,
                result.RunIds,
                views
            ),
            views
        );
    }

    public static string CreatedBy(string repository) => $"repository:{repository}";

    /// <summary>
    /// The ref that holds the event's commit, for git servers that will not serve a commit by its SHA alone.
    /// </summary>
    private static string? FallbackRef(string forge, ForgeEvent e) =>
        e.Kind switch
        {
            ForgeEventKind.Push => "refs/heads/" + e.Branch,
            ForgeEventKind.Tag => "refs/tags/" + e.Tag,
            ForgeEventKind.PullRequest when e.PrNumber is { } n => forge switch
            {
                "gitlab" => $"refs/merge-requests/{n}/head",
                "bitbucket" => e.HeadBranch is { } head ? "refs/heads/" + head : null,
                _ => $"refs/pull/{n}/head",
            },
            _ => null,
        };

    /// <summary>
    /// The answer to a delivery recorded before (found by the transaction that would have recorded it): 2xx, and the
    /// runs it started then; nothing was done.
    /// </summary>
    private IResult Repeat(WebhookDelivery delivery, IReadOnlyList<string> runIds)
    {
        metrics.WebhookDelivered(delivery.Forge, "duplicate");
        return Answer(
            new DeliveryView(
                delivery.Repository,
                delivery.DeliveryId,
                delivery.Event,
                Duplicate: true,
                "already received; nothing done",
                runIds,
                []
            )
        );
    }

    private static IResult Answer(DeliveryView view) =>
        ApiResults.Json(
            view,
            view.Duplicate ? StatusCodes.Status200OK
                : view.RunIds.Count > 0 ? StatusCodes.Status201Created
                : StatusCodes.Status202Accepted
        );

    /// <summary>
    /// The body, at most <paramref name="max"/> bytes (the limit is also Kestrel's for this request); null when larger.
    /// </summary>
    private static async Task<byte[]?> ReadAsync(HttpContext http, long max, CancellationToken ct)
    {
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
            feature.MaxRequestBodySize = max;
        using var buffer = new MemoryStream(
            http.Request.ContentLength is { } length and > 0 ? (int)Math.Min(length, max) : 4096
        );
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > max)
                    return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return buffer.ToArray();
    }
}
