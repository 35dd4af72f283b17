using Hearth.Core.Api;
using Hearth.Store;

namespace Hearth.Server.Api;

/// <summary>
/// Applies registered images to a new run, as runvoy did: a run naming a registered image gets its CPU and memory
/// unless it asked for its own; a run naming neither an image nor a driver runs in the default image, when one is set.
/// </summary>
public sealed class ImageDefaults(IRunStore store)
{
    public async Task<CreateRunBody> ApplyAsync(CreateRunBody body, CancellationToken ct)
    {
        if (body.Image is null && body.Driver is not null)
            return body;
        var images = await store.ListRegisteredImagesAsync(ct);
        if (images.Count == 0)
            return body;
        var image = body.Image is null
            ? images.FirstOrDefault(i => i.IsDefault)
            : images.FirstOrDefault(i => i.Reference == body.Image);
        if (image is null)
            return body;
        return body with
        {
            Image = image.Reference,
            Cpus = body.Cpus ?? image.Cpus,
            MemoryBytes = body.MemoryBytes ?? image.MemoryBytes,
        };
    }
}
