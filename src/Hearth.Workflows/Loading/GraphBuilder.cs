using Hearth.Workflows.Model;

namespace Hearth.Workflows.Loading;

/// <summary>Numbers drafts into steps: ids from positions, and sequential dependencies between siblings.</summary>
internal static class GraphBuilder
{
    public static IReadOnlyList<WorkflowStep> Build(List<StepDraft> roots) => Build(roots, null, sequential: true);

    private static List<WorkflowStep> Build(List<StepDraft> drafts, WorkflowStep? parent, bool sequential)
    {
        var steps = new List<WorkflowStep>(drafts.Count);
        for (int i = 0; i < drafts.Count; i++)
        {
            var draft = drafts[i];
            string id = parent is null
                ? i.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : $"{parent.Id}.{i}";
            IReadOnlyList<string> dependsOn = sequential && i > 0 ? [steps[i - 1].Id] : [];
            var step = new WorkflowStep(
                id,
                draft.Kind,
                parent?.Id,
                i,
                draft.Machine,
                draft.Run,
                draft.Condition,
                draft.Source,
                draft.ImportedFrom,
                dependsOn
            )
            {
                Lock = draft.Lock,
                Secrets = draft.Secrets,
                Attempts = draft.Attempts,
                RetryExitCodes = draft.RetryExitCodes,
            };
            step.Children = Build(draft.Children, step, sequential: draft.Kind == WorkflowStepKind.Sequence);
            steps.Add(step);
        }

        return steps;
    }
}
