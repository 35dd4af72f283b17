using Hearth.Core.Runs;

namespace Hearth.Workflows.Execution;

/// <summary>What the scheduler decided for one run step: start it (Pending) or skip it, and why.</summary>
public sealed record StepDecision(string StepId, TaskState To, string? Reason);

/// <summary>The scheduler's answer: steps to move, and the run's outcome once every step has ended.</summary>
public sealed record WorkflowAdvance(IReadOnlyList<StepDecision> Decisions, RunState? Outcome, string? Reason);
