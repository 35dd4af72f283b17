using Hearth.Core.Api;

namespace Hearth.Server.Agents.Assignments;

/// <summary>The one place a stored task becomes what the agent protocol hands out (<see cref="Assignment"/>).</summary>
public static class AssignmentMapper
{
    public static Assignment ToAssignment(AssignmentDraft draft)
    {
        var (lease, spec) = (draft.Lease, draft.Lease.Spec);
        var sandbox = new SandboxRequest(
            spec.Driver,
            spec.Image,
            spec.Pull,
            spec.Network,
            spec.Ports,
            spec.Cpus,
            spec.MemoryBytes,
            spec.Pids
        );
        return new Assignment(
            lease.TaskId,
            lease.RunId,
            lease.Kind,
            lease.Epoch,
            lease.Attempt,
            lease.ExpiresAt,
            spec.Command,
            spec.Env,
            sandbox
        )
        {
            TimeoutSeconds = spec.Timeout?.TotalSeconds,
            SecretEnv = draft.PrivateEnv.Count == 0 ? draft.SecretEnv : Merged(draft.PrivateEnv, draft.SecretEnv),
            Git = spec.Git is { } git ? new GitAssignment(git.Repo, git.Ref, git.Path, draft.GitCredentials) : null,
            Locks =
            [
                .. draft
                    .LockTokens.OrderBy(t => t.Key, StringComparer.Ordinal)
                    .Select(t => new LockTokenView(t.Key, t.Value)),
            ],
            Mask = draft.SecretValues,
            TraceParent = spec.TraceParent,
            CiFiles = draft.CiFiles,
            Service = spec.Service,
            Build = spec.Build,
            SecretFiles = draft.SecretFiles,
        };
    }

    private static Dictionary<string, string> Merged(
        IReadOnlyDictionary<string, string> plain,
        IReadOnlyDictionary<string, string> secret
    )
    {
        var env = new Dictionary<string, string>(plain, StringComparer.Ordinal);
        foreach (var (name, value) in secret)
            env[name] = value;
        return env;
    }
}
