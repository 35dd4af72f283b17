using Hearth.Server.Secrets;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// Decrypts a git workspace's credentials secret, for the checkout phase only (never the command's environment).
/// </summary>
public sealed class GitCredentialsStep(SecretService secrets) : IAssignmentStep
{
    public string Name => "git credentials";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
    {
        if (draft.Lease.Spec.Git?.Secret is not { } name)
            return StepOutcome.Next(draft);
        try
        {
            var values = await secrets.ResolveAsync([name], ct);
            return StepOutcome.Next(draft with { GitCredentials = values.Values.Single() });
        }
        catch (SecretUnavailableException e)
        {
            return StepOutcome.Fail(e.Message);
        }
    }
}
