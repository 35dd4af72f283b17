namespace Hearth.Sandbox.Reaping;

/// <summary>
/// Finds what carries Hearth's mark on this host but belongs to no live or recoverable sandbox of its owner, and
/// removes it: processes, then containers, mounts, cgroups, network namespaces, veths, nftables elements, image leases
/// and directories (<see cref="ResourceKind"/>'s order), so nothing is removed while something still holds it.
/// Idempotent; a failure is reported and the rest goes on.
/// </summary>
/// <param name="scratchRoot">The owner reaped for: the agent's scratch root.</param>
/// <param name="allOwners">
/// Also reap what belongs to other owners (named by a mark) whose agent is not running, and what no owner can be found
/// for at all.
/// </param>
public sealed class OrphanReaper(
    IReadOnlyList<IOrphanSource> sources,
    string scratchRoot,
    ILiveSandboxes live,
    bool allOwners = false
)
{
    private readonly string _owner = SandboxOwner.Normalize(scratchRoot);

    public async Task<ReapReport> ReapAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var found = await DiscoverAsync([_owner], errors, cancellationToken).ConfigureAwait(false);
        if (allOwners)
        {
            var others = found
                .Select(r => r.Owner)
                .OfType<string>()
                .Where(o => o != _owner)
                .Distinct(StringComparer.Ordinal)
                .ToList();
            if (others.Count > 0)
                found = found
                    .Concat(await DiscoverAsync(others, errors, cancellationToken).ConfigureAwait(false))
                    .DistinctBy(r => (r.Kind, r.Name))
                    .ToList();
        }
        // After discovery: a sandbox that starts meanwhile is live by the time its resources could have been seen.
        var liveFamilies = live.Current()
            .Select(id => SandboxMarks.FamilyOf(id) ?? id)
            .ToHashSet(StringComparer.Ordinal);
        var orphans = Orphans(found, liveFamilies)
            .OrderBy(r => r.Kind)
            .ThenByDescending(r => r.Kind == ResourceKind.Mount ? r.Name.Length : 0)
            .ToList();

        var results = new List<ReapedResource>();
        foreach (var orphan in orphans)
        {
            if (dryRun)
            {
                results.Add(new ReapedResource(orphan, ReapOutcome.Found));
                continue;
            }
            try
            {
                await orphan.Destroy(cancellationToken).ConfigureAwait(false);
                results.Add(new ReapedResource(orphan, ReapOutcome.Removed));
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                results.Add(new ReapedResource(orphan, ReapOutcome.Failed, e.Message));
            }
        }
        return new ReapReport(results, errors);
    }

    private async Task<List<MarkedResource>> DiscoverAsync(
        IReadOnlyCollection<string> roots,
        List<string> errors,
        CancellationToken cancellationToken
    )
    {
        var found = new List<MarkedResource>();
        foreach (var source in sources)
        {
            try
            {
                found.AddRange(
                    (await source.DiscoverAsync(roots, cancellationToken).ConfigureAwait(false)).Where(r =>
                        SandboxMarks.FamilyOf(r.SandboxId) is not null
                    )
                );
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // One family that cannot be looked at (no permission, a tool missing) does not hide the others.
                errors.Add($"{source.GetType().Name}: {e.Message}");
            }
        }
        return found;
    }

    private IEnumerable<MarkedResource> Orphans(List<MarkedResource> found, HashSet<string> liveFamilies)
    {
        // A resource whose mark names only its sandbox belongs to whoever owns another resource of that sandbox's
        // family.
        var ownerOfFamily = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var resource in found.Where(r => r.Owner is not null))
        {
            ownerOfFamily.TryAdd(SandboxMarks.FamilyOf(resource.SandboxId)!, resource.Owner!);
        }
        var running = new Dictionary<string, bool>(StringComparer.Ordinal) { [_owner] = false };
        foreach (var resource in found)
        {
            var family = SandboxMarks.FamilyOf(resource.SandboxId)!;
            var owner = resource.Owner ?? ownerOfFamily.GetValueOrDefault(family);
            if (owner == _owner)
            {
                if (!liveFamilies.Contains(family))
                    yield return resource;
                continue;
            }
            if (!allOwners)
                continue;
            if (owner is null)
            {
                yield return resource;
                continue;
            }
            if (!running.TryGetValue(owner, out var isRunning))
            {
                isRunning = running[owner] = SandboxOwner.Holder(owner) is not null;
            }
            if (!isRunning)
                yield return resource;
        }
    }
}
