using Hearth.Server.Secrets;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// Last: the secret values the assignment carries are kept with the task (encrypted), before the agent can print any of
/// them, so every server masks the task's lines with exactly those values. A lease that is no longer the task's current
/// one is dropped.
/// </summary>
public sealed class KeepMasksStep(LogMasks masks) : IAssignmentStep
{
    public string Name => "masks";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct) =>
        await masks.KeepAsync(draft.Lease.TaskId, draft.Lease.Epoch, draft.SecretValues, ct)
            ? StepOutcome.Next(draft)
            : StepOutcome.Drop();
}
