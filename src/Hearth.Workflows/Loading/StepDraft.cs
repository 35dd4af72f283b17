using Hearth.Workflows.Conditions;
using Hearth.Workflows.Diagnostics;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>A step before ids and orders are known (splicing imports changes positions).</summary>
internal sealed class StepDraft
{
    public required WorkflowStepKind Kind { get; init; }

    public string? Run { get; init; }

    public string? Machine { get; init; }

    /// <summary>A cluster-wide lock the step holds while it runs.</summary>
    public string? Lock { get; set; }

    /// <summary>Secrets the step's environment gets.</summary>
    public IReadOnlyList<string> Secrets { get; set; } = [];

    public Condition? Condition { get; set; }

    /// <summary>Attempts in all when the step's agent is lost (null: the chain's, else the server's).</summary>
    public int? Attempts { get; set; }

    /// <summary>Exit codes of the script that retry the step too (within its attempts).</summary>
    public IReadOnlyList<int> RetryExitCodes { get; set; } = [];

    public required SourceLocation Source { get; init; }

    public string? ImportedFrom { get; init; }

    public List<StepDraft> Children { get; } = [];
}
