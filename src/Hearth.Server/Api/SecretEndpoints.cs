using System.Text.RegularExpressions;
using Hearth.Core.Api;
using Hearth.Core.Names;
using Hearth.Core.Secrets;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;
using Hearth.Server.Secrets;
using Hearth.Store.Access;
using Microsoft.AspNetCore.Http.Features;

namespace Hearth.Server.Api;

/// <summary>
/// Secrets: metadata for everyone who may use them, the value itself only for admins and the secret's owner.
/// </summary>
public static partial class SecretEndpoints
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();

    public static void MapSecretEndpoints(this IEndpointRouteBuilder app)
    {
        var secrets = app.MapGroup("/api/v1/secrets");

        secrets
            .MapPost("", async (HttpContext http, SecretService service, ServerOptions options, CancellationToken ct) =>
            {
                var body = await ReadAsync(http, options, ct);
                if (body.Error is { } bad)
                    return bad;
                var request = body.Value!;
                var name = request.Name ?? "";
                AuditTarget.Set(http, name);
                if (Names.Secret.Problem(name) is { } badName)
                    return ApiResults.Invalid($"name: {badName}");
                var envName = request.EnvName ?? DefaultEnvName(name);
                if (Invalid(envName, request.Value) is { } error)
                    return error;
                if (BadScope(request.Repositories) is { } scopeError)
                    return scopeError;
                var users = new SecretUsers(request.AllowedUsers, request.AllowedRoles);
                if (users.Problem() is { } usersError)
                    return ApiResults.Invalid(usersError);
                var created = await service.CreateAsync(
                    name,
                    envName,
                    request.Description,
                    request.Value!,
                    Caller.From(http).Name,
                    RequestIdMiddleware.Of(http),
                    request.Repositories,
                    users,
                    ct
                );
                return created is null
                    ? ApiResults.Error(
                        StatusCodes.Status409Conflict,
                        "SECRET_ALREADY_EXISTS",
                        $"a secret named '{name}' exists already (use update)"
                    )
                    : ApiResults.Json(View(created), StatusCodes.Status201Created);
            })
            .WithSummary("Create a secret")
            .Body<SecretBody>()
            .Answers<SecretView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status409Conflict, "SECRET_ALREADY_EXISTS")
            .Errors(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE");

        secrets
            .MapGet("", async (IAccessStore store, CancellationToken ct) =>
            {
                var list = (await store.ListSecretsAsync(ct)).Select(View).ToList();
                return ApiResults.Json(new SecretListView(list, list.Count));
            })
            .WithSummary("List secrets (metadata, never values)")
            .Answers<SecretListView>();

        secrets
            .MapGet("/{name}", async (string name, IAccessStore store, SecretService service, CancellationToken ct) =>
            {
                if (await store.GetSecretAsync(name, ct) is not { } secret)
                    return NotFound(name);
                try
                {
                    return ApiResults.Json(new SecretValueView(secret.Name, secret.EnvName, service.Reveal(secret)));
                }
                catch (SecretUnavailableException e)
                {
                    return ApiResults.Error(StatusCodes.Status500InternalServerError, "SECRET_UNAVAILABLE", e.Message);
                }
            })
            .WithSummary("A secret's value")
            .Answers<SecretValueView>()
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND")
            .Errors(StatusCodes.Status500InternalServerError, "SECRET_UNAVAILABLE");

        secrets
            .MapPut(
                "/{name}",
                async (
                    HttpContext http,
                    string name,
                    IAccessStore store,
                    SecretService service,
                    ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await ReadAsync(http, options, ct);
                    if (body.Error is { } bad)
                        return bad;
                    var request = body.Value!;
                    var existing = await store.GetSecretAsync(name, ct);
                    if (existing is null)
                        return NotFound(name);
                    if (Invalid(request.EnvName ?? existing.EnvName, request.Value, required: false) is { } error)
                        return error;
                    if (BadScope(request.Repositories) is { } scopeError)
                        return scopeError;
                    var users = new SecretUsers(request.AllowedUsers, request.AllowedRoles);
                    if (users.Problem() is { } usersError)
                        return ApiResults.Invalid(usersError);
                    var updated = await service.UpdateAsync(
                        existing,
                        request.EnvName,
                        request.Description,
                        request.Value,
                        RequestIdMiddleware.Of(http),
                        request.Repositories,
                        users,
                        ct
                    );
                    return updated is null ? NotFound(name) : ApiResults.Json(View(updated));
                }
            )
            .WithSummary("Update a secret")
            .Body<SecretBody>()
            .Answers<SecretView>()
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND")
            .Errors(StatusCodes.Status413PayloadTooLarge, "PAYLOAD_TOO_LARGE");

        secrets
            .MapDelete("/{name}", async (string name, IAccessStore store, CancellationToken ct) =>
                await store.DeleteSecretAsync(name, ct)
                    ? ApiResults.Json(new MessageView($"secret {name} deleted", Name: name))
                    : NotFound(name)
            )
            .WithSummary("Delete a secret")
            .Answers<MessageView>()
            .Errors(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND");
    }

    public static SecretView View(SecretRecord s) =>
        new(
            s.Name,
            s.EnvName,
            s.Description,
            s.CreatedBy,
            s.CreatedAt,
            s.UpdatedAt,
            s.CreatedByRequestId,
            s.ModifiedByRequestId,
            s.Repositories.Count > 0 ? s.Repositories : null,
            s.AllowedUsers,
            s.AllowedRoles
        );

    private static IResult? BadScope(IReadOnlyList<string>? repositories)
    {
        foreach (var (pattern, i) in (repositories ?? []).Select((p, i) => (p, i)))
        {
            if (string.IsNullOrWhiteSpace(pattern) || pattern.Length > 512)
                return ApiResults.Invalid(
                    $"repositories[{i}]: expected a repository URL or glob pattern (e.g. https://git.example.com/team/*)"
                );
        }
        return null;
    }

    /// <summary>"db-password" becomes DB_PASSWORD.</summary>
    public static string DefaultEnvName(string name)
    {
        var env = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());
        return char.IsAsciiDigit(env[0]) ? "_" + env : env;
    }

    private static IResult? Invalid(string envName, string? value, bool required = true)
    {
        if (!EnvName().IsMatch(envName))
            return ApiResults.Invalid(
                $"env_name: '{envName}' is not a variable name (letters, digits and _, not starting with a digit)"
            );
        if (envName.StartsWith("HEARTH_", StringComparison.Ordinal))
            return ApiResults.Invalid($"env_name: '{envName}': HEARTH_ variables are Hearth's own");
        if (value is null)
            return required ? ApiResults.Invalid("value: required") : null;
        if (value.Length < SecretForms.MinFragment)
            return ApiResults.Invalid(
                $"value: must be at least {SecretForms.MinFragment} characters, or it could not be masked in logs"
            );
        if (value.Contains('\0'))
            return ApiResults.Invalid("value: must not contain NUL (it becomes an environment variable)");
        return null;
    }

    private static async Task<RequestBody.Parsed<SecretBody>> ReadAsync(
        HttpContext http,
        ServerOptions options,
        CancellationToken ct
    )
    {
        return await RequestBody.ReadAsync<SecretBody>(http, ct, options.Access.MaxSecretBytes);
    }

    private static IResult NotFound(string name) =>
        ApiResults.Error(StatusCodes.Status404NotFound, "SECRET_NOT_FOUND", $"no secret named '{name}'");
}
