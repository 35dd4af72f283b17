using Hearth.Workflows.Conditions;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>A chain or parallel child as written, before imports are resolved.</summary>
internal abstract record ChainItemSyntax(SourceLocation Location);

internal sealed record FragmentSyntax(
    SourceLocation Location,
    string? Run,
    string? From,
    SourceLocation FromLocation,
    string? Machine,
    Condition? Condition,
    string? Lock = null,
    IReadOnlyList<string>? Secrets = null,
    int? Attempts = null,
    IReadOnlyList<int>? RetryExitCodes = null
) : ChainItemSyntax(Location);

internal sealed record ParallelSyntax(SourceLocation Location, IReadOnlyList<ChainItemSyntax> Items)
    : ChainItemSyntax(Location);

internal sealed record WorkflowSyntax(
    SourceLocation Location,
    string Version,
    IReadOnlyList<string> Triggers,
    string Machine,
    IReadOnlyList<ChainItemSyntax> Items,
    int? Attempts = null
)
{
    public IReadOnlyDictionary<string, Model.TriggerFilter> TriggerFilters { get; init; } =
        new Dictionary<string, Model.TriggerFilter>();
    public IReadOnlyList<WorkflowSchedule> Schedules { get; init; } = [];
}
