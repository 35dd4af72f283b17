using Hearth.Core.Runs;
using Hearth.Server.Agents.Assignments;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>
/// A CI job's assignment gets what GitLab sent for it and the task does not store: its variables (masked ones as
/// secrets, so its output is masked with them; the rest privately), its job token as the checkout's credentials
/// (masked too), and its artifacts, dependencies (their tokens masked) and cache for the agent to move.
/// </summary>
public sealed class GitLabJobStep(IGitLabStore store, GitLabVault vault) : IAssignmentStep
{
    /// <summary>The user name GitLab takes a job token with, over HTTPS.</summary>
    public const string TokenUser = "gitlab-ci-token";

    /// <summary>The task's (stored, not secret) reference to its job: RUNNER/JOB_ID. The store is not asked by run id,
    /// as the task may be leased before its run is linked to the job.</summary>
    public const string JobVariable = "HEARTH_GITLAB_JOB";

    public string Name => "gitlab job";

    public async Task<StepOutcome> ApplyAsync(AssignmentDraft draft, CancellationToken ct)
    {
        if (draft.Lease.Kind != TaskKind.CiJob)
            return StepOutcome.Next(draft);
        if (!draft.Lease.Spec.Env.TryGetValue(JobVariable, out var reference))
            return StepOutcome.Next(draft);
        var slash = reference.LastIndexOf('/');
        var job =
            slash > 0 && long.TryParse(reference.AsSpan(slash + 1), out var jobId)
                ? await store.GetJobAsync(reference[..slash], jobId, ct)
                : null;
        if (job is null)
            return StepOutcome.Fail($"GitLab job '{reference}' is not recorded");
        GitLabJobSecrets secrets;
        try
        {
            secrets = vault.OpenJob(job);
        }
        catch (Exception e)
            when (e
                    is System.Security.Cryptography.CryptographicException
                        or FormatException
                        or InvalidDataException
                        or KeyNotFoundException
                        or System.Text.Json.JsonException
            )
        {
            return StepOutcome.Fail($"GitLab job {job.JobId}: its variables cannot be decrypted here ({e.Message})");
        }
        var plain = new Dictionary<string, string>(StringComparer.Ordinal);
        // The job script's own checkout (image drivers) takes the job token from here; masked like every secret.
        var secret = new Dictionary<string, string>(draft.SecretEnv, StringComparer.Ordinal)
        {
            [GitSource.CredentialsVariable] = $"{TokenUser}:{secrets.Token}",
        };
        foreach (var variable in secrets.Variables)
        {
            if (variable.Masked)
                secret[variable.Key] = variable.Value ?? "";
            else
                plain[variable.Key] = variable.Value ?? "";
        }
        return StepOutcome.Next(
            draft with
            {
                SecretEnv = secret,
                PrivateEnv = plain,
                ExtraMasks = [secrets.Token, .. secrets.Files?.Dependencies.Select(d => d.Token) ?? []],
                GitCredentials = $"{TokenUser}:{secrets.Token}",
                CiFiles = secrets.Files,
            }
        );
    }
}
