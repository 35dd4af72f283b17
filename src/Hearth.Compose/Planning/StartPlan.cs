using System.Collections.Immutable;
using Hearth.Compose.Model;

namespace Hearth.Compose.Planning;

/// <summary>What one service waits for before it starts: a dependency reaching a condition.</summary>
public sealed record Readiness(string Service, DependencyCondition Condition, bool RestartWithDependency);

/// <summary>
/// One service in start order. Services in the same <see cref="Wave"/> may start together; each starts once
/// every entry of <see cref="WaitsFor"/> holds.
/// </summary>
public sealed record StartStep(string Service, int Wave, ImmutableArray<Readiness> WaitsFor);

public sealed record StartPlan(ImmutableArray<StartStep> Steps)
{
    /// <summary>Stop order: the reverse of start order.</summary>
    public IEnumerable<string> StopOrder => Steps.Reverse().Select(s => s.Service);
}
