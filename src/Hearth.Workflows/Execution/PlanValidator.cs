using System.Text.RegularExpressions;
using Hearth.Core.Runs;

namespace Hearth.Workflows.Execution;

/// <summary>A plan arrives over the API, so the server checks it is a well-formed tree before storing it.</summary>
public static partial class PlanValidator
{
    public const int MaxSteps = 2000;

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)*$")]
    private static partial Regex StepId();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex MachineName();

    public static List<string> Validate(WorkflowPlan? plan)
    {
        var errors = new List<string>();
        if (plan is null)
            return ["plan: required"];
        if (string.IsNullOrWhiteSpace(plan.Name))
            errors.Add("plan.name: required");
        if (plan.Steps is null || plan.Steps.Count == 0)
            return [.. errors, "plan.steps: a workflow needs at least one step"];
        if (plan.Steps.Count > MaxSteps)
            errors.Add($"plan.steps: {plan.Steps.Count} steps, at most {MaxSteps}");
        var byId = new Dictionary<string, PlanStep>(StringComparer.Ordinal);
        foreach (var step in plan.Steps)
        {
            var where = $"plan.steps[{step.Id}]";
            if (step.Id is null || !StepId().IsMatch(step.Id))
            {
                errors.Add($"plan.steps: '{step.Id}' is not a step id (e.g. 2.1)");
                continue;
            }
            if (!byId.TryAdd(step.Id, step))
                errors.Add($"{where}: duplicate id");
            if (
                step.ParentId is not null
                && (!byId.TryGetValue(step.ParentId, out var parent) || parent.Kind == PlanStepKind.Run)
            )
                errors.Add($"{where}.parent_id: '{step.ParentId}' is not an earlier group step");
            if (step.Kind == PlanStepKind.Run)
            {
                if (string.IsNullOrWhiteSpace(step.Run))
                    errors.Add($"{where}.run: a run step needs a script");
                if (step.Machine is null || !MachineName().IsMatch(step.Machine))
                    errors.Add($"{where}.machine: '{step.Machine}' is not a machine group name");
                if (step.Lock is not null && !Hearth.Core.Locks.LockNames.IsValid(step.Lock))
                    errors.Add($"{where}.lock: {Hearth.Core.Names.Names.Lock.Problem(step.Lock)}");
                if (step.Secrets is { Count: > 20 })
                    errors.Add($"{where}.secrets: at most 20 secrets a step");
                if (step.MaxAttempts is < 1 or > RetryPolicy.AttemptsLimit)
                    errors.Add($"{where}.max_attempts: must be between 1 and {RetryPolicy.AttemptsLimit}");
                if (step.RetryExitCodes?.FirstOrDefault(c => c is < 1 or > 255) is { } badCode and not 0)
                    errors.Add($"{where}.retry_exit_codes: {badCode} is not a failing exit code (1 to 255)");
                if (step.Run is { } run)
                    errors.AddRange(
                        ExecLimits
                            .Check(["/bin/sh", "-c", run], plan.Variables, $"{where}.run", "plan.variables")
                            .Select(e => e.Replace($"{where}.run[2]", $"{where}.run", StringComparison.Ordinal))
                    );
            }
        }
        if (!plan.Steps.Any(s => s.Kind == PlanStepKind.Run))
            errors.Add("plan.steps: no step runs anything");
        return errors.Distinct().ToList();
    }
}
