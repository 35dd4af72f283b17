using Hearth.Core.Api;
using Hearth.Server.Api;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;
using Hearth.Server.Webhooks;
using Hearth.Server.Workflows;
using Hearth.Workflows.Model;

namespace Hearth.Server.Repositories;

/// <summary>
/// Repositories Hearth takes webhooks from (admins and operators register them), the manual trigger, and the receivers.
/// </summary>
public static class RepositoryEndpoints
{
    public static void MapRepositoryEndpoints(this IEndpointRouteBuilder app)
    {
        var repos = app.MapGroup("/api/v1/repos");

        repos
            .MapPost(
                "",
                async (HttpContext http, RepositoryService service, ServerOptions options, CancellationToken ct) =>
                {
                    var body = await RequestBody.ReadAsync<RepositoryBody>(http, ct, options.Access.MaxRunBodyBytes);
                    if (body.Error is { } bad)
                        return bad;
                    var (created, problem, conflict) = await service.CreateAsync(
                        body.Value!,
                        Caller.From(http).Name,
                        ct
                    );
                    if (conflict)
                        return ApiResults.Error(StatusCodes.Status409Conflict, "REPOSITORY_ALREADY_EXISTS", problem!);
                    if (problem is not null)
                        return ApiResults.Invalid(problem);
                    return ApiResults.Json(RepositoryService.View(created!), StatusCodes.Status201Created);
                }
            )
            .WithSummary("Register a repository: its forge, URL, webhook secret, token and workflow files")
            .Body<RepositoryBody>()
            .Answers<RepositoryView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status409Conflict, "REPOSITORY_ALREADY_EXISTS")
            .Errors(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE");

        repos
            .MapGet("", async (RepositoryService service, CancellationToken ct) =>
            {
                var list = (await service.ListAsync(ct)).Select(RepositoryService.View).ToList();
                return ApiResults.Json(new RepositoryListView(list, list.Count));
            })
            .WithSummary("List repositories (never their secrets or tokens)")
            .Answers<RepositoryListView>();

        repos
            .MapGet("/{name}", async (string name, RepositoryService service, CancellationToken ct) =>
                await service.GetAsync(name, ct) is { } repository
                    ? ApiResults.Json(RepositoryService.View(repository))
                    : NotFound(name)
            )
            .WithSummary("A repository")
            .Answers<RepositoryView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        repos
            .MapDelete("/{name}", async (string name, RepositoryService service, GitCache git, CancellationToken ct) =>
            {
                if (!await service.DeleteAsync(name, ct))
                    return NotFound(name);
                git.Drop(name);
                return ApiResults.Json(new MessageView($"repository {name} removed", Name: name));
            })
            .WithSummary("Remove a repository (its deliveries are refused from then on)")
            .Answers<MessageView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        repos
            .MapPut(
                "/{name}/secret",
                async (
                    HttpContext http,
                    string name,
                    RepositoryService service,
                    ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<RepositorySecretBody>(
                        http,
                        ct,
                        options.Access.MaxRunBodyBytes
                    );
                    if (body.Error is { } bad)
                        return bad;
                    if (string.IsNullOrEmpty(body.Value!.Secret))
                        return ApiResults.Invalid("secret: required");
                    if (await service.GetAsync(name, ct) is not { } repository)
                        return NotFound(name);
                    var updated = await service.RotateSecretAsync(
                        repository,
                        body.Value.Secret,
                        body.Value.KeepPrevious,
                        ct
                    );
                    return updated is null ? NotFound(name) : ApiResults.Json(RepositoryService.View(updated));
                }
            )
            .WithSummary(
                "Rotate a repository's webhook secret: the new one verifies at once, the previous one too until the next rotation"
            )
            .Body<RepositorySecretBody>()
            .Answers<RepositoryView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        repos
            .MapPut(
                "/{name}/secrets",
                async (
                    HttpContext http,
                    string name,
                    RepositoryService service,
                    Store.Access.IAccessStore access,
                    ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<RepositorySecretsBody>(
                        http,
                        ct,
                        options.Access.MaxRunBodyBytes
                    );
                    if (body.Error is { } bad)
                        return bad;
                    if (await service.GetAsync(name, ct) is not { } repository)
                        return NotFound(name);
                    var grant = body.Value!.Grant ?? [];
                    foreach (var secret in grant)
                    {
                        if (await access.GetSecretAsync(secret, ct) is null)
                            return ApiResults.Error(
                                StatusCodes.Status404NotFound,
                                "SECRET_NOT_FOUND",
                                $"grant: no secret named '{secret}'"
                            );
                    }
                    var granted = repository
                        .GrantedSecrets.Concat(grant)
                        .Except(body.Value.Revoke ?? [], StringComparer.Ordinal)
                        .Distinct(StringComparer.Ordinal)
                        .Order(StringComparer.Ordinal)
                        .ToList();
                    var updated = await service.UpdateAsync(repository with { GrantedSecrets = granted }, ct);
                    return updated is null ? NotFound(name) : ApiResults.Json(RepositoryService.View(updated));
                }
            )
            .WithSummary(
                "Grant or revoke secrets the repository's runs may use (never given to a pull request from a fork)"
            )
            .Body<RepositorySecretsBody>()
            .Answers<RepositoryView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND", "SECRET_NOT_FOUND");

        repos
            .MapPost(
                "/{name}/trigger",
                async (
                    HttpContext http,
                    string name,
                    RepositoryService service,
                    GitCache git,
                    WorkflowMatcher matcher,
                    RepositorySecretPolicy secretPolicy,
                    WorkflowService workflows,
                    DriverPolicy drivers,
                    Statuses.CommitStatusService statuses,
                    ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<TriggerBody>(http, ct, options.Access.MaxRunBodyBytes);
                    if (body.Error is { } bad)
                        return bad;
                    var request = body.Value!;
                    if (string.IsNullOrWhiteSpace(request.Ref))
                        return ApiResults.Invalid("ref: required (a branch, a tag or a commit SHA)");
                    if (await service.GetAsync(name, ct) is not { } repository)
                        return NotFound(name);
                    if (request.Workflow is { } one && !repository.Workflows.Contains(one, StringComparer.Ordinal))
                        return ApiResults.Invalid(
                            $"workflow: '{one}' is not one of {name}'s workflows ({string.Join(", ", repository.Workflows)})"
                        );
                    var caller = Caller.From(http);
                    var (driver, refused) = drivers.ForUnnamed(caller.Role);
                    if (refused is not null)
                        return refused;
                    var access = service.Access(repository);
                    string commit;
                    try
                    {
                        commit = await git.FetchAsync(access, request.Ref, null, ct);
                    }
                    catch (GitException e)
                    {
                        return ApiResults.Error(StatusCodes.Status422UnprocessableEntity, "REF_NOT_FETCHED", e.Message);
                    }
                    var trigger = ManualEvent(request.Ref);
                    var variables = WorkflowMatcher.Variables(trigger, commit, null);
                    var matches = await secretPolicy.ApplyAsync(
                        repository,
                        await matcher.MatchAsync(
                            access,
                            repository.Url,
                            commit,
                            request.Workflow is { } only ? [only] : repository.Workflows,
                            trigger,
                            variables,
                            ct
                        ),
                        fromFork: false,
                        ct
                    );
                    var views = new List<WorkflowMatchView>();
                    var runIds = new List<string>();
                    foreach (var match in matches)
                    {
                        if (match.Plan is null)
                        {
                            views.Add(new WorkflowMatchView(match.Workflow, null, match.Skipped));
                            continue;
                        }
                        var created = await workflows.CreateAsync(
                            match.Plan,
                            caller.Name,
                            driver,
                            new HashSet<string>(),
                            null,
                            ct
                        );
                        runIds.Add(created.Run.Id);
                        views.Add(new WorkflowMatchView(match.Workflow, created.Run.Id, null));
                    }
                    await statuses.TrackAsync(
                        repository,
                        runIds,
                        Statuses.CommitStatusService.RunsUrl(http.Request),
                        ct
                    );
                    var outcome =
                        runIds.Count > 0
                            ? "started "
                                + string.Join(", ", views.Where(v => v.RunId is not null).Select(v => v.Workflow))
                            : "no workflow started: "
                                + string.Join("; ", views.Select(v => $"{v.Workflow}: {v.Skipped}"));
                    return ApiResults.Json(
                        new DeliveryView(name, "manual", "manual", false, outcome, runIds, views, commit),
                        runIds.Count > 0 ? StatusCodes.Status201Created : StatusCodes.Status200OK
                    );
                }
            )
            .WithSummary("Start a repository's workflows by hand (the manual trigger) at a branch, tag or commit")
            .Body<TriggerBody>()
            .Answers<DeliveryView>(StatusCodes.Status201Created)
            .Answers<DeliveryView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "DRIVER_REQUIRED")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status422UnprocessableEntity, "REF_NOT_FETCHED");

        repos
            .MapGet(
                "/{name}/statuses",
                async (
                    string name,
                    int? limit,
                    RepositoryService service,
                    Store.Statuses.ICommitStatusStore statuses,
                    CancellationToken ct
                ) =>
                {
                    if (await service.GetAsync(name, ct) is null)
                        return NotFound(name);
                    if (limit is < 1 or > 1000)
                        return ApiResults.Invalid("limit: expected 1 to 1000");
                    var list = (await statuses.ListAsync(name, limit ?? 100, ct))
                        .Select(Statuses.CommitStatusViews.View)
                        .ToList();
                    return ApiResults.Json(new CommitStatusListView(list, list.Count));
                }
            )
            .WithSummary(
                "The commit statuses Hearth sent (or is sending, or gave up on) to a repository's forge, newest first"
            )
            .Answers<CommitStatusListView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");

        app.MapPost(
                RepositoryService.WebhookRoute + "/{forge}/{name}",
                (HttpContext http, string forge, string name, WebhookReceiver receiver, CancellationToken ct) =>
                    receiver.ReceiveAsync(http, forge, name, ct)
            )
            .WithSummary(
                "Receive a forge's webhook delivery (github, gitlab, gitea, forgejo, bitbucket, or standard for Standard Webhooks)"
            )
            .WithDescription(
                "Authenticated by the delivery's signature, not an API key. 201: runs started; 202: recorded, nothing "
                    + "started (an ignored event, or no workflow matched); 200: a repeat of a delivery already received."
            )
            .Answers<DeliveryView>(StatusCodes.Status201Created)
            .Answers<DeliveryView>(StatusCodes.Status202Accepted)
            .Answers<DeliveryView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_PAYLOAD")
            .Errors(StatusCodes.Status401Unauthorized, "INVALID_SIGNATURE")
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND")
            .Errors(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE")
            .Errors(StatusCodes.Status503ServiceUnavailable, "FETCH_FAILED", "SECRET_UNAVAILABLE");
    }

    /// <summary>refs/tags/X is a tag, refs/heads/X or a plain name a branch, a full SHA only a commit.</summary>
    private static TriggerEvent ManualEvent(string reference)
    {
        if (reference.StartsWith("refs/tags/", StringComparison.Ordinal))
            return new TriggerEvent("manual", Tag: reference["refs/tags/".Length..]);
        if (reference.StartsWith("refs/heads/", StringComparison.Ordinal))
            return new TriggerEvent("manual", Branch: reference["refs/heads/".Length..]);
        if (reference.Length == 40 && reference.All(char.IsAsciiHexDigit))
            return new TriggerEvent("manual");
        return new TriggerEvent("manual", Branch: reference);
    }

    private static IResult NotFound(string name) => ApiResults.NotFound($"no repository named '{name}'");
}
