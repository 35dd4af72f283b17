using Hearth.Core.Runs;

namespace Hearth.Store.Tests;

/// <summary>
/// Compares what a store says about a run, by value (records hold lists, which compare by reference).
/// </summary>
internal sealed class RunComparer : IEqualityComparer<Run>
{
    public static RunComparer Instance { get; } = new();

    public bool Equals(Run? x, Run? y) => x is not null && y is not null && Describe(x) == Describe(y);

    public int GetHashCode(Run obj) => Describe(obj).GetHashCode(StringComparison.Ordinal);

    private static string Describe(Run run) =>
        $"{run with { Tasks = [], Spec = null! }}|"
        + string.Join("|", run.Tasks.Select(t => $"{t with { History = [] }}:{string.Join(",", t.History)}"));
}
