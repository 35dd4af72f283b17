using Hearth.Core.Runs;

namespace Hearth.Workflows.Execution;

/// <summary>
/// The workflow scheduler as a pure function: from the plan and the current state of each run step, which steps start
/// now, which are skipped, and whether the run is over. Sequences run in order and stop at the first failure (the rest
/// are skipped); parallel groups start all children and fail if any child failed; a false condition skips its step and
/// subtree when its turn comes and counts as done. Calling it again on its own result changes nothing.
/// </summary>
public static class WorkflowProgress
{
    private enum Status
    {
        NotStarted,
        Active,
        Succeeded,
        Skipped,
        Failed,
    }

    public static WorkflowAdvance Advance(WorkflowPlan plan, IReadOnlyDictionary<string, TaskState> states)
    {
        var children = plan
            .Steps.GroupBy(s => s.ParentId ?? "")
            .ToDictionary(g => g.Key, g => g.OrderBy(s => s.Order).ToList());
        var decisions = new List<StepDecision>();
        var effective = new Dictionary<string, TaskState>(states);
        var top = Sequence(children.GetValueOrDefault("") ?? [], ready: true);

        return top switch
        {
            Status.Succeeded or Status.Skipped => new WorkflowAdvance(decisions, RunState.Succeeded, null),
            Status.Failed when !effective.Values.Any(IsLive) => new WorkflowAdvance(
                decisions,
                RunState.Failed,
                FailureReason()
            ),
            _ => new WorkflowAdvance(decisions, null, null),
        };

        Status Step(PlanStep step, bool ready)
        {
            if (!step.ConditionHolds)
            {
                // Skipped when its turn comes, not before: its end is never earlier than the steps before it.
                if (!ready)
                    return Status.NotStarted;
                SkipTree(step, $"condition false: {step.Condition}");
                return Status.Skipped;
            }
            return step.Kind switch
            {
                PlanStepKind.Run => Leaf(step, ready),
                PlanStepKind.Parallel => Parallel(children.GetValueOrDefault(step.Id) ?? [], ready),
                _ => Sequence(children.GetValueOrDefault(step.Id) ?? [], ready),
            };
        }

        Status Leaf(PlanStep step, bool ready)
        {
            var state = effective.GetValueOrDefault(step.Id, TaskState.Waiting);
            if (state == TaskState.Waiting && ready)
            {
                decisions.Add(new StepDecision(step.Id, TaskState.Pending, null));
                effective[step.Id] = TaskState.Pending;
                return Status.Active;
            }
            return Of(state);
        }

        Status Sequence(IReadOnlyList<PlanStep> steps, bool ready)
        {
            var failed = false;
            var allSkipped = true;
            var active = false;
            var previousDone = ready;
            foreach (var step in steps)
            {
                if (failed)
                {
                    SkipTree(step, "skipped: an earlier step failed");
                    continue;
                }
                var status = Step(step, previousDone);
                failed = status == Status.Failed;
                active |= status == Status.Active;
                allSkipped &= status == Status.Skipped;
                previousDone = previousDone && status is Status.Succeeded or Status.Skipped;
            }
            if (failed)
                return Status.Failed;
            if (previousDone)
                return allSkipped && steps.Count > 0 ? Status.Skipped : Status.Succeeded;
            return active ? Status.Active : Status.NotStarted;
        }

        Status Parallel(IReadOnlyList<PlanStep> steps, bool ready)
        {
            var statuses = steps.Select(s => Step(s, ready)).ToList();
            if (statuses.Any(s => s is Status.Active or Status.NotStarted))
                return statuses.Any(s => s == Status.Active) ? Status.Active : Status.NotStarted;
            if (statuses.Any(s => s == Status.Failed))
                return Status.Failed;
            return statuses.All(s => s == Status.Skipped) && statuses.Count > 0 ? Status.Skipped : Status.Succeeded;
        }

        void SkipTree(PlanStep step, string reason)
        {
            if (step.Kind == PlanStepKind.Run)
            {
                if (effective.GetValueOrDefault(step.Id, TaskState.Waiting) == TaskState.Waiting)
                {
                    decisions.Add(new StepDecision(step.Id, TaskState.Skipped, reason));
                    effective[step.Id] = TaskState.Skipped;
                }
                return;
            }
            foreach (var child in children.GetValueOrDefault(step.Id) ?? [])
                SkipTree(child, reason);
        }

        string FailureReason()
        {
            var failedSteps = plan
                .Steps.Where(s =>
                    s.Kind == PlanStepKind.Run
                    && Of(effective.GetValueOrDefault(s.Id, TaskState.Waiting)) == Status.Failed
                )
                .Select(s => s.Id);
            return $"step {string.Join(", ", failedSteps)} failed";
        }
    }

    private static bool IsLive(TaskState state) =>
        state is TaskState.Waiting or TaskState.Pending or TaskState.Leased or TaskState.Running;

    private static Status Of(TaskState state) =>
        state switch
        {
            TaskState.Waiting => Status.NotStarted,
            TaskState.Pending or TaskState.Leased or TaskState.Running => Status.Active,
            TaskState.Succeeded => Status.Succeeded,
            TaskState.Skipped => Status.Skipped,
            _ => Status.Failed,
        };
}
