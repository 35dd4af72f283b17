using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// What one sandbox made besides its container and its records: the rootfs mounts, the image lease, the network, the
/// OOM watch's parent cgroup and the scratch directory. A sandbox this agent started holds them as objects; one an
/// earlier agent started holds only its marks, and is cleaned up the way the orphan reaper would
/// (<see cref="OciLeftovers"/>). Released after the container is gone; each step runs even if an earlier one fails.
/// </summary>
internal sealed class OciResources(string scratch)
{
    public RunRootfs? Rootfs { get; set; }

    public ImageLease? Lease { get; set; }

    /// <summary>The default bridge's place, or the named networks' in order (the first owns the namespace).</summary>
    public List<ContainerNetwork> Networks { get; } = [];

    public OomWatch? OomWatch { get; set; }

    /// <summary>For a sandbox an earlier agent started: removes what its marks name.</summary>
    public Func<Task>? Leftovers { get; init; }

    public async Task ReleaseAsync()
    {
        var failures = new List<Exception>();
        Attempt(() => OomWatch?.Dispose(), failures);
        Attempt(() => Rootfs?.Release(), failures);
        Attempt(() => Lease?.Dispose(), failures);
        try
        {
            // After the container is gone, so nothing holds the namespace.
            // The first owns the namespace: it goes last.
            for (var i = Networks.Count - 1; i >= 0; i--)
                await Networks[i].DisposeAsync();
            if (Leftovers is not null)
                await Leftovers();
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or NetworkSetupException or AggregateException)
        {
            failures.Add(e);
        }
        // Last: the scratch directory tells the orphan reaper whose the other resources are.
        Attempt(DeleteScratch, failures);
        if (failures.Count > 0)
            throw new AggregateException($"sandbox cleanup left something behind ({scratch})", failures);
    }

    private void DeleteScratch()
    {
        try
        {
            Directory.Delete(scratch, recursive: true);
        }
        catch (DirectoryNotFoundException) { }
    }

    private static void Attempt(Action step, List<Exception> failures)
    {
        try
        {
            step();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            failures.Add(e);
        }
    }
}
