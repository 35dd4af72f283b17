using Hearth.Core;
using Hearth.Core.Api;
using Hearth.Core.Names;
using Hearth.Server.Audit;
using Hearth.Server.Auth;
using Hearth.Server.OpenApi;
using Hearth.Store;

namespace Hearth.Server.Api;

/// <summary>
/// Registered images (runvoy's "images register"): default CPU and memory per image, and the default image.
/// </summary>
public static class ImageEndpoints
{
    public static void MapImageEndpoints(this IEndpointRouteBuilder app)
    {
        var images = app.MapGroup("/api/v1/images");

        images
            .MapGet("", async (IRunStore store, CancellationToken ct) =>
                ApiResults.Json(
                    new RegisteredImageListView((await store.ListRegisteredImagesAsync(ct)).Select(View).ToList())
                )
            )
            .WithSummary("List registered images")
            .Answers<RegisteredImageListView>();

        images
            .MapPost(
                "",
                async (
                    HttpContext http,
                    IRunStore store,
                    TimeProvider time,
                    Configuration.ServerOptions options,
                    CancellationToken ct
                ) =>
                {
                    var body = await RequestBody.ReadAsync<RegisterImageBody>(http, ct, options.Access.MaxRunBodyBytes);
                    if (body.Error is { } bad)
                        return bad;
                    var request = body.Value!;
                    if (Names.ImageReference.Problem(request.Image) is { } problem)
                        return ApiResults.Invalid($"image: {problem}");
                    if (request.Cpus is { } cpus && !(cpus > 0 && cpus <= 1024))
                        return ApiResults.Invalid("cpus: must be above 0 and at most 1024");
                    if (request.MemoryBytes is < 4 * 1024 * 1024)
                        return ApiResults.Invalid("memory_bytes: must be at least 4 MiB");
                    AuditTarget.Set(http, request.Image!);
                    var image = new RegisteredImage(
                        request.Image!,
                        request.Cpus,
                        request.MemoryBytes,
                        request.Default,
                        Caller.From(http).Name,
                        time.GetUtcNow()
                    );
                    await store.RegisterImageAsync(image, ct);
                    return ApiResults.Json(View(image), StatusCodes.Status201Created);
                }
            )
            .WithSummary("Register an image with its runs' default CPU and memory")
            .Body<RegisterImageBody>()
            .Answers<RegisteredImageView>(StatusCodes.Status201Created)
            .Errors(StatusCodes.Status400BadRequest, "INVALID_REQUEST");

        images
            .MapDelete(
                "/{*reference}",
                async (HttpContext http, string reference, IRunStore store, CancellationToken ct) =>
                {
                    AuditTarget.Set(http, reference);
                    return await store.UnregisterImageAsync(reference, ct)
                        ? ApiResults.Json(new MessageView($"image {reference} unregistered", Image: reference))
                        : ApiResults.NotFound($"no registered image '{reference}'");
                }
            )
            .WithSummary("Unregister an image")
            .Answers<MessageView>()
            .Errors(StatusCodes.Status404NotFound, "NOT_FOUND");
    }

    private static RegisteredImageView View(RegisteredImage i) =>
        new(i.Reference, i.Cpus, i.MemoryBytes, i.IsDefault, i.RegisteredBy, i.RegisteredAt);
}
