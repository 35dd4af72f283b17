using Hearth.Core.Runs;
using Hearth.Workflows.Model;

namespace Hearth.Workflows.Execution;

/// <summary>Turns a loaded workflow and the run's variables into the plan the server stores and advances.</summary>
public static class WorkflowPlanner
{
    public static WorkflowPlan Plan(
        WorkflowDefinition workflow,
        IReadOnlyDictionary<string, string> variables,
        string? name = null,
        string? repository = null
    )
    {
        var steps = workflow
            .Graph.Steps.Select(s => new PlanStep(
                s.Id,
                s.Kind switch
                {
                    WorkflowStepKind.Run => PlanStepKind.Run,
                    WorkflowStepKind.Parallel => PlanStepKind.Parallel,
                    _ => PlanStepKind.Sequence,
                },
                s.ParentId,
                s.Order,
                s.Kind == WorkflowStepKind.Run ? s.Machine ?? workflow.DefaultMachine : s.Machine,
                s.Run,
                s.Condition?.Text,
                s.Condition?.Evaluate(variables) ?? true,
                s.Source.ToString(),
                s.Lock,
                s.Secrets.Count > 0 ? s.Secrets : null
            )
            {
                MaxAttempts = s.Kind == WorkflowStepKind.Run ? s.Attempts ?? workflow.DefaultAttempts : null,
                RetryExitCodes = s.RetryExitCodes.Count > 0 ? s.RetryExitCodes : null,
            })
            .ToList();
        return new WorkflowPlan
        {
            Name = name ?? Path.GetFileName(workflow.SourceFile),
            Source = workflow.SourceFile,
            Variables = variables,
            Repository = repository,
            Steps = steps,
        };
    }
}
