using Hearth.Server.Secrets;
using Hearth.Server.Services;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// A service replica's secret files (compose <c>secrets:</c>): each sealed one opened, each naming a Hearth secret
/// decrypted, into the assignment's secret files by target path (the agent writes them into the container), and masked
/// in the replica's log. A secret that is gone fails the task rather than starting it without.
/// </summary>
public sealed class ServiceFilesStep(
    ServiceSecretFiles sealedFiles,
    SecretService secrets,
    Store.Access.IAccessStore store
) : IAssignmentStep
{
    public string Name => "service files";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
    {
        if (
            draft.Lease.Spec.Service is not { } replica
            || !replica.Files.Any(f => f.Sealed is not null || f.SecretName is not null)
        )
            return StepOutcome.Next(draft);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var file in replica.Files)
            {
                if (file.Sealed is not null)
                    files[file.Target] = sealedFiles.Open(replica.Project, replica.Service, file);
                else if (file.SecretName is { } name)
                {
                    var secret = await store.GetSecretAsync(name, ct)
                        ?? throw new SecretUnavailableException($"secret '{name}' for {file.Target} no longer exists");
                    files[file.Target] = secrets.Reveal(secret);
                }
            }
        }
        catch (SecretUnavailableException e)
        {
            return StepOutcome.Fail(e.Message);
        }
        return StepOutcome.Next(draft with { SecretFiles = files });
    }
}
