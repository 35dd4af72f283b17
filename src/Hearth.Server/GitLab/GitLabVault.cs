using System.Text.Json;
using Hearth.Server.Secrets;
using Hearth.Store.GitLab;

namespace Hearth.Server.GitLab;

/// <summary>What only a job's own agent may see: its token, its variables, and its artifacts, dependencies (with their
/// tokens) and cache. Stored encrypted, never in the task.</summary>
public sealed record GitLabJobSecrets(string Token, IReadOnlyList<JobVariable> Variables)
{
    public Hearth.Core.Api.CiJobFiles? Files { get; init; }
}

/// <summary>
/// Encrypts runner tokens and jobs' secrets with the server's secrets key (AES-256-GCM, as secrets are), each bound to
/// its own name (associated data), so a ciphertext copied to another row does not decrypt.
/// </summary>
public sealed class GitLabVault(SecretKeyring keyring)
{
    public (string KeyId, string Cipher) SealToken(string runnerName, string token) =>
        Seal(RunnerName(runnerName), token);

    public string OpenToken(GitLabRunnerRecord runner) =>
        keyring.Decrypt(RunnerName(runner.Name), runner.TokenKeyId, Convert.FromBase64String(runner.TokenCipher));

    public (string KeyId, string Cipher) SealJob(string runnerName, long jobId, GitLabJobSecrets secrets) =>
        Seal(JobName(runnerName, jobId), JsonSerializer.Serialize(secrets, GitLabVaultJson.Default.GitLabJobSecrets));

    public GitLabJobSecrets OpenJob(GitLabJobRecord job)
    {
        var json = keyring.Decrypt(
            JobName(job.RunnerName, job.JobId),
            job.SecretKeyId,
            Convert.FromBase64String(job.SecretCipher)
        );
        return JsonSerializer.Deserialize(json, GitLabVaultJson.Default.GitLabJobSecrets)
            ?? throw new InvalidDataException($"GitLab job {job.JobId}: its stored secrets are empty");
    }

    private (string KeyId, string Cipher) Seal(string name, string value)
    {
        var (keyId, cipher) = keyring.Encrypt(name, value);
        return (keyId, Convert.ToBase64String(cipher));
    }

    private static string RunnerName(string name) => $"gitlab-runner:{name}";

    private static string JobName(string runner, long jobId) => $"gitlab-job:{runner}:{jobId}";
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower
)]
[System.Text.Json.Serialization.JsonSerializable(typeof(GitLabJobSecrets))]
internal sealed partial class GitLabVaultJson : System.Text.Json.Serialization.JsonSerializerContext;
