using System.Text.RegularExpressions;
using Hearth.Core.Api;
using Hearth.Core.Builds;
using Hearth.Core.Runs;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.Configuration;
using Hearth.Server.OpenApi;
using Hearth.Server.Placement;

namespace Hearth.Server.Api;

/// <summary>
/// POST /api/v1/builds: an image built on an agent that runs the buildah driver and pushed to its registry (a compose
/// service's <c>build:</c>, sent by <c>hearth up</c>). A build is a command run like any other (lease, logs, kill),
/// whose one task carries the build (<see cref="TaskSpec.Build"/>) and requires <c>driver.buildah</c>.
/// </summary>
public static partial class BuildEndpoints
{
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex ArgName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex StageName();

    public const int MaxDockerfileChars = 1024 * 1024;

    public static void MapBuildEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost(
                "/api/v1/builds",
                async (
                    HttpContext http,
                    RunService service,
                    RunAccess access,
                    DriverPolicy drivers,
                    ServerOptions options,
                    LiveDrivers live,
                    AgentFleet fleet,
                    CancellationToken ct
                ) =>
                {
                    var read = await RequestBody.ReadAsync<CreateBuildBody>(http, ct, options.Access.MaxBodyBytes);
                    if (read.Error is { } bad)
                        return bad;
                    var body = read.Value!;
                    var errors = Validate(body);
                    if (errors.Count > 0)
                        return ApiResults.Invalid(string.Join("; ", errors), errors);
                    var caller = Caller.From(http);
                    if (await access.CheckAsync(caller, image: true, [], ct) is { } refused)
                        return refused;
                    if (drivers.Check(caller.Role, Builders.Driver) is { } forbidden)
                        return forbidden;
                    if (!(await live.ListAsync(ct)).Any(d => d.Name == Builders.Driver))
                        return ApiResults.Error(
                            StatusCodes.Status409Conflict,
                            "NO_BUILDER",
                            "no live agent can build images: none runs the buildah driver (install buildah on an agent and start it "
                                + "with --drivers naming buildah, e.g. --drivers oci,buildah)"
                        );
                    var spec = new TaskSpec
                    {
                        Command = ["buildah", "bud", "-t", body.Image, body.Service ?? "."],
                        Driver = Builders.Driver,
                        Requirements = new Dictionary<string, string> { [Builders.Label] = "true" },
                        Timeout = TimeSpan.FromHours(2),
                        Build = new ImageBuildSpec(
                            body.Image,
                            body.Dockerfile,
                            body.Context,
                            body.Args ?? [],
                            body.Target
                        ),
                    };
                    var created = await service.CreateCommandRunAsync(
                        spec,
                        options.LostAgentAttempts,
                        caller.Name,
                        null,
                        ct
                    );
                    AuditTarget.Set(http, created.Run.Id);
                    return RunEndpoints.Created(http, created, await fleet.WaitingAsync(created.Run, ct));
                }
            )
            .WithSummary("Build an image on an agent with buildah and push it")
            .WithDescription(
                "The build is a run on the buildah driver (follow it with GET /api/v1/runs/{id}/logs); an image "
                    + "already at its registry under the same tag is not built again. 409 NO_BUILDER when no live agent runs "
                    + "the buildah driver."
            )
            .Body<CreateBuildBody>()
            .Answers<RunView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST")
            .Errors(StatusCodes.Status403Forbidden, "FORBIDDEN", "DRIVER_FORBIDDEN")
            .Errors(StatusCodes.Status409Conflict, "NO_BUILDER");
    }

    public static List<string> Validate(CreateBuildBody body)
    {
        var errors = new List<string>();
        if (Hearth.Core.Names.Names.ImageReference.Problem(body.Image ?? "") is { } image)
            errors.Add($"image: {image}");
        if (string.IsNullOrWhiteSpace(body.Dockerfile))
            errors.Add("dockerfile: must hold the Dockerfile's text");
        else if (body.Dockerfile.Length > MaxDockerfileChars)
            errors.Add($"dockerfile: at most {MaxDockerfileChars} characters");
        var size = (long)(body.Context ?? "").Length / 4 * 3;
        if (body.Context is null || !IsBase64(body.Context))
            errors.Add("context: expected a gzip'd tar, base64");
        else if (size > Builders.MaxContextBytes)
            errors.Add($"context: at most {Builders.MaxContextBytes} bytes compressed");
        foreach (var name in (body.Args ?? []).Keys)
        {
            if (!ArgName().IsMatch(name))
                errors.Add($"args.{name}: not a build argument name (letters, digits and _)");
        }
        if (body.Target is { } target && !StageName().IsMatch(target))
            errors.Add($"target: '{target}' is not a stage name");
        return errors;
    }

    private static bool IsBase64(string text)
    {
        var buffer = new byte[text.Length / 4 * 3 + 3];
        return text.Length > 0 && Convert.TryFromBase64String(text, buffer, out _);
    }
}
