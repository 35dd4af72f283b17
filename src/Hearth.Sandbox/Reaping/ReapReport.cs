namespace Hearth.Sandbox.Reaping;

public enum ReapOutcome
{
    /// <summary>Found by a dry run; left in place.</summary>
    Found,
    Removed,
    Failed,
}

/// <summary>One orphan and what became of it.</summary>
public sealed record ReapedResource(MarkedResource Resource, ReapOutcome Outcome, string? Error = null);

/// <summary>What one pass of the reaper found and did, in the order it did it.</summary>
/// <param name="Errors">Places the reaper could not look in (a source that failed), each with why.</param>
public sealed record ReapReport(IReadOnlyList<ReapedResource> Resources, IReadOnlyList<string> Errors)
{
    public int Removed => Resources.Count(r => r.Outcome == ReapOutcome.Removed);

    public int Failed => Resources.Count(r => r.Outcome == ReapOutcome.Failed);

    public int Found => Resources.Count(r => r.Outcome == ReapOutcome.Found);
}
