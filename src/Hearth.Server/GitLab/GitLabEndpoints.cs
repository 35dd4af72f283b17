using Hearth.Core.Api;
using Hearth.Core.Names;
using Hearth.Server.Api;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>Stored GitLab runners: add (GitLab verifies the token first), list (never the token), remove.</summary>
public static class GitLabEndpoints
{
    public static void MapGitLabEndpoints(this IEndpointRouteBuilder app)
    {
        var runners = app.MapGroup("/api/v1/gitlab/runners");

        runners
            .MapPost("", async (HttpContext http, GitLabRunners service, ServerOptions options, CancellationToken ct) =>
            {
                var body = await RequestBody.ReadAsync<GitLabRunnerBody>(http, ct, options.Access.MaxRunBodyBytes);
                if (body.Error is { } bad)
                    return bad;
                var request = body.Value!;
                var name = request.Name ?? "";
                AuditTarget.Set(http, name);
                if (Names.Secret.Problem(name) is { } badName)
                    return ApiResults.Invalid($"name: {badName.Replace("secret name", "runner name")}");
                if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
                    return ApiResults.Invalid("url: expected GitLab's address, such as https://gitlab.example.com");
                if (string.IsNullOrWhiteSpace(request.Token))
                    return ApiResults.Invalid("token: expected the runner's authentication token (glrt-…)");
                var driver = request.Driver ?? "oci";
                if (!GitLabRunners.Drivers.Contains(driver))
                    return ApiResults.Invalid(
                        $"driver: expected one of {string.Join(", ", GitLabRunners.Drivers)}, got '{driver}'"
                    );
                if (request.Image is { } image && Names.ImageReference.Problem(image) is { } badImage)
                    return ApiResults.Invalid($"image: {badImage}");
                var tags = request.Tags ?? [];
                if (tags.FirstOrDefault(t => string.IsNullOrWhiteSpace(t) || t.Contains('\n')) is { } badTag)
                    return ApiResults.Invalid($"tags: '{badTag}' is not a tag");
                var added = await service.AddAsync(
                    name,
                    url,
                    request.Token.Trim(),
                    tags,
                    driver,
                    request.Image,
                    Caller.From(http).Name,
                    ct
                );
                return added.Runner is { } view
                    ? ApiResults.Json(view, StatusCodes.Status201Created)
                    : ApiResults.Error(
                        added.Code == "GITLAB_RUNNER_EXISTS"
                            ? StatusCodes.Status409Conflict
                            : StatusCodes.Status400BadRequest,
                        added.Code!,
                        added.Error!
                    );
            })
            .WithSummary("Add a GitLab runner (its token is verified with GitLab, then stored encrypted)")
            .Body<GitLabRunnerBody>()
            .Answers<GitLabRunnerView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST", "GITLAB_TOKEN_REFUSED")
            .Errors(StatusCodes.Status409Conflict, "GITLAB_RUNNER_EXISTS");

        runners
            .MapGet("", async (IGitLabStore store, CancellationToken ct) =>
                ApiResults.Json(
                    new GitLabRunnerListView((await store.ListRunnersAsync(ct)).Select(GitLabRunners.View).ToList())
                )
            )
            .WithSummary("List GitLab runners (never their tokens)")
            .Answers<GitLabRunnerListView>();

        runners
            .MapDelete("/{name}", async (HttpContext http, string name, IGitLabStore store, CancellationToken ct) =>
            {
                AuditTarget.Set(http, name);
                return await store.RemoveRunnerAsync(name, ct)
                    ? ApiResults.Json(new MessageView($"GitLab runner {name} removed"))
                    : ApiResults.NotFound($"no GitLab runner '{name}'");
            })
            .WithSummary("Remove a GitLab runner (jobs it took still report their end)")
            .Answers<MessageView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }
}
