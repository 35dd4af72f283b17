using Hearth.Core.Runs;
using Hearth.Server.Agents.Assignments;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>
/// A CI job's assignment gets what GitLab sent for it and the task does not store: its variables (masked ones as
/// secrets, so its output is masked with them; the rest privately), and its job token as the checkout's credentials
/// (masked too).
/// </summary>
public sealed class GitLabJobStep(IGitLabStore store, GitLabVault vault) : IAssignmentStep
{
    /// <summary>The user name GitLab takes a job token with, over HTTPS.</summary>
    public const string TokenUser = "gitlab-ci-token";

    public string Name => "gitlab job";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
    {
        if (draft.Lease.Kind != TaskKind.CiJob) return StepOutcome.Next(draft);
        var job = await store.GetJobByRunAsync(draft.Lease.RunId, ct);
        if (job is null) return StepOutcome.Next(draft);
        GitLabJobSecrets secrets;
        try
        {
            secrets = vault.OpenJob(job);
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or FormatException or InvalidDataException
                                      or KeyNotFoundException or System.Text.Json.JsonException)
        {
            return StepOutcome.Fail($"GitLab job {job.JobId}: its variables cannot be decrypted here ({e.Message})");
        }
        var plain = new Dictionary<string, string>(StringComparer.Ordinal);
        var secret = new Dictionary<string, string>(draft.SecretEnv, StringComparer.Ordinal);
        foreach (var variable in secrets.Variables)
        {
            if (variable.Masked) secret[variable.Key] = variable.Value ?? "";
            else plain[variable.Key] = variable.Value ?? "";
        }
        return StepOutcome.Next(draft with
        {
            SecretEnv = secret,
            PrivateEnv = plain,
            ExtraMasks = [secrets.Token],
            GitCredentials = $"{TokenUser}:{secrets.Token}",
        });
    }
}
