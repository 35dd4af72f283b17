using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Removes what one sandbox made when the objects that made it are gone with an earlier agent (a recovered sandbox, a
/// handle destroyed): found by their ownership marks, the way the orphan reaper finds them, but only this sandbox's,
/// in the reaper's order (processes, container, mounts deepest first, cgroups, network, image lease, directories).
/// Idempotent; every step runs, and what could not be removed is reported together at the end.
/// </summary>
internal sealed class OciLeftovers(IReadOnlyList<IOrphanSource> sources)
{
    public async Task RemoveAsync(string sandboxId, string scratchRoot, CancellationToken cancellationToken)
    {
        var found = new List<MarkedResource>();
        var failures = new List<Exception>();
        foreach (var source in sources)
        {
            try
            {
                found.AddRange(
                    (await source.DiscoverAsync([scratchRoot], cancellationToken)).Where(r => r.SandboxId == sandboxId)
                );
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                failures.Add(e);
            }
        }
        var ordered = found
            .DistinctBy(r => (r.Kind, r.Name))
            .OrderBy(r => r.Kind)
            .ThenByDescending(r => r.Kind == ResourceKind.Mount ? r.Name.Length : 0);
        foreach (var resource in ordered)
        {
            try
            {
                await resource.Destroy(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                failures.Add(new IOException($"cannot remove {resource.Kind} {resource.Name}: {e.Message}", e));
            }
        }
        if (failures.Count > 0)
            throw new AggregateException($"sandbox {sandboxId} left something behind", failures);
    }
}
