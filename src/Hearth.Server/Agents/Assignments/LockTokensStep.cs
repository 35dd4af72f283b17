using Hearth.Store.Locks;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// The fencing tokens of the locks the task holds. A task that asked for a lock and holds none now (it was released by
/// force while the task waited for an agent) fails: running it would run it outside the lock.
/// </summary>
public sealed class LockTokensStep(ILockStore locks) : IAssignmentStep
{
    public string Name => "lock tokens";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
    {
        if (draft.Lease.Spec.Lock is not { } wanted)
            return StepOutcome.Next(draft);
        var tokens = await locks.TokensOfAsync(draft.Lease.TaskId, ct);
        if (tokens.Count == 0)
            return StepOutcome.Fail($"the task no longer holds lock '{wanted.Name}' (released by force?)");
        return StepOutcome.Next(draft with { LockTokens = tokens });
    }
}
