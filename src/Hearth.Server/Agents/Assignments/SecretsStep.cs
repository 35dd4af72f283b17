using Hearth.Server.Secrets;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// Decrypts the secrets the task names, for its environment: the one place a run's secrets are decrypted. A secret that
/// is gone (deleted, or not decryptable here) fails the task rather than running it without.
/// </summary>
public sealed class SecretsStep(SecretService secrets) : IAssignmentStep
{
    public string Name => "secrets";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
    {
        if (draft.Lease.Spec.Secrets.Count == 0)
            return StepOutcome.Next(draft);
        try
        {
            return StepOutcome.Next(
                draft with
                {
                    SecretEnv = await secrets.ResolveAsync(draft.Lease.Spec.Secrets, ct),
                }
            );
        }
        catch (SecretUnavailableException e)
        {
            return StepOutcome.Fail(e.Message);
        }
    }
}
