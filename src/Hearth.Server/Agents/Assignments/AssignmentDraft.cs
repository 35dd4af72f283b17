using Hearth.Core.Api;
using Hearth.Store;

namespace Hearth.Server.Agents.Assignments;

/// <summary>
/// A granted lease on its way to the agent: the stored task plus what the pipeline's steps have added so far. Each step
/// returns a new draft; nothing here is stored.
/// </summary>
public sealed record AssignmentDraft(Lease Lease)
{
    /// <summary>Secret values by variable, for the command's environment.</summary>
    public IReadOnlyDictionary<string, string> SecretEnv { get; init; } =
        new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// Variables for the command's environment that are handed over privately like secrets but are not masked (a GitLab
    /// job's variables that are not marked masked). Secret values win over them.
    /// </summary>
    public IReadOnlyDictionary<string, string> PrivateEnv { get; init; } =
        new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>A service replica's secret files: target path → content.</summary>
    public IReadOnlyDictionary<string, string> SecretFiles { get; init; } =
        new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Values the task's output is masked with that are not in its environment (a CI job's token).</summary>
    public IReadOnlyList<string> ExtraMasks { get; init; } = [];

    /// <summary>The git credentials secret's value, for the checkout phase only.</summary>
    public string? GitCredentials { get; init; }

    /// <summary>A GitLab job's artifacts, dependencies and cache, for its agent.</summary>
    public CiJobFiles? CiFiles { get; init; }

    /// <summary>Lock name → fencing token, for the locks the task holds.</summary>
    public IReadOnlyDictionary<string, long> LockTokens { get; init; } =
        new Dictionary<string, long>(StringComparer.Ordinal);

    /// <summary>Every secret value the draft carries: what the task's output is masked with.</summary>
    public IReadOnlyList<string> SecretValues =>
        [
            .. SecretEnv
                .Values.Concat(SecretFiles.Values)
                .Concat(ExtraMasks)
                .Append(GitCredentials ?? "")
                .Where(v => v.Length > 0)
                .Distinct(StringComparer.Ordinal),
        ];
}
