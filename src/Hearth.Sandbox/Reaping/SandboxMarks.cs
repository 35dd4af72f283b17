using System.Text.RegularExpressions;

namespace Hearth.Sandbox.Reaping;

/// <summary>
/// How Hearth marks what it makes on a host, in one place. Every sandbox resource is named by its sandbox id (container
/// id, cgroup and directory name, network namespace <c>hearth-ID</c>, the bridge's allocation record), and a sandbox id
/// an agent makes has a shape nothing else has: <c>RUNID-TASK-aATTEMPT-eEPOCH</c>, RUNID being 12 hex digits,
/// optionally followed by suffixes for the task's other sandboxes and its workspace (<c>-git</c>, <c>-ws</c>). Host
/// processes carry <see cref="SandboxVariable"/> and <see cref="OwnerVariable"/> in their environment; OCI containers
/// carry the same as annotations.
/// </summary>
public static partial class SandboxMarks
{
    /// <summary>The sandbox id, in the environment of every host process a driver starts.</summary>
    public const string SandboxVariable = "HEARTH_SANDBOX";

    /// <summary>The owning agent's scratch root, beside <see cref="SandboxVariable"/>.</summary>
    public const string OwnerVariable = "HEARTH_SANDBOX_OWNER";

    public const string SandboxAnnotation = "org.hearth.sandbox";

    public const string OwnerAnnotation = "org.hearth.sandbox.owner";

    /// <summary>Prefix of a sandbox's network namespace name.</summary>
    public const string NamespacePrefix = "hearth-";

    /// <summary>
    /// Whether <paramref name="name"/> has the shape of a sandbox id an agent makes (anything else is never reaped).
    /// </summary>
    public static bool IsSandboxId(string name) => Shape().IsMatch(name);

    /// <summary>
    /// The id a sandbox's family shares: <c>ID</c> for <c>ID</c>, <c>ID-git</c> and <c>ID-ws</c>. A live id keeps its
    /// whole family; null when <paramref name="sandboxId"/> is not an agent's sandbox id.
    /// </summary>
    public static string? FamilyOf(string sandboxId) =>
        Shape().Match(sandboxId) is { Success: true } m ? m.Groups["family"].Value : null;

    /// <summary>The two marks a host process carries.</summary>
    public static IReadOnlyDictionary<string, string> Environment(string sandboxId, string scratchRoot) =>
        new Dictionary<string, string>
        {
            [SandboxVariable] = sandboxId,
            [OwnerVariable] = SandboxOwner.Normalize(scratchRoot),
        };

    [GeneratedRegex(@"^(?<family>[0-9a-f]{12}-[A-Za-z0-9._-]+?-a[0-9]+-e[0-9]+)(-[a-z]+)*$")]
    private static partial Regex Shape();
}
