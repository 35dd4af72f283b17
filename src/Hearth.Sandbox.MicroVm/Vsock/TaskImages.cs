using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Runtime;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// A task's image for the vsock backends, from the same <see cref="ImageStore"/> as the QEMU path: its process
/// (argv, environment, working directory, user: the image's config with the task's over it) and, for Firecracker, the
/// image's base disk.
/// </summary>
internal sealed class TaskImages(ImageStore images, RootDisks disks, bool pullMissing)
{
    public async Task<StoredImage> GetAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(spec.Image))
            throw new SandboxStartException("the microvm driver needs an image");
        try
        {
            var policy = spec.Pull == ImagePullPolicy.Missing && !pullMissing ? ImagePullPolicy.Never : spec.Pull;
            var progress = spec.Status is { } status ? new PullStatus(spec.Image, status) : null;
            return await images.GetAsync(spec.Image, policy, ids: null, progress, cancellationToken);
        }
        catch (ImageNotStoredException e)
        {
            throw new SandboxStartException(e.Message, e);
        }
        catch (Exception e)
            when (e is RegistryException or FormatException or UnsafeLayerException or HttpRequestException)
        {
            throw new SandboxStartException($"cannot get image {spec.Image}: {e.Message}", e);
        }
    }

    public static ProcessPlan Plan(StoredImage image, SandboxSpec spec) => ImageProcessResolver.Resolve(image, spec);

    /// <summary>
    /// The image's ext4 disk (built on first use, under a lease so the store's GC keeps the rootfs while it is read).
    /// </summary>
    public async Task<string> BaseDiskAsync(SandboxSpec spec, StoredImage image, CancellationToken cancellationToken)
    {
        using var lease = images.AcquireLease(image, spec.SandboxId);
        try
        {
            return await disks.EnsureAsync(image.ManifestDigest.Hex, image.RootfsPath, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot make the root disk of {spec.Image}: {e.Message}", e);
        }
    }
}
