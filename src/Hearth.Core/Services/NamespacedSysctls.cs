namespace Hearth.Core.Services;

/// <summary>
/// The sysctls a replica may set: those the kernel keeps per namespace, in namespaces the container has to itself
/// (its own network namespace for <c>net.*</c>; its own IPC namespace for <c>kernel.shm*</c>, <c>kernel.msg*</c>,
/// <c>kernel.sem</c> and <c>fs.mqueue.*</c>), the list Docker and Kubernetes call safe to namespace. Any other would
/// change the agent's host for every container on it.
/// </summary>
public static class NamespacedSysctls
{
    public const string Allowed = "net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.*";

    /// <summary>The name with dots (compose also accepts <c>net/ipv4/ip_forward</c>).</summary>
    public static string Normalize(string name) => name.Trim().Replace('/', '.');

    /// <summary>Null when <paramref name="name"/> (normalised) may be set, else why not.</summary>
    public static string? Refusal(string name)
    {
        if (
            name.Length == 0
            || name.Length > 256
            || name.StartsWith('.')
            || name.EndsWith('.')
            || name.Contains("..")
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-')
        )
            return "not a sysctl name";
        if (
            name.StartsWith("net.", StringComparison.Ordinal)
            || name.StartsWith("fs.mqueue.", StringComparison.Ordinal)
            || name.StartsWith("kernel.shm", StringComparison.Ordinal)
            || name.StartsWith("kernel.msg", StringComparison.Ordinal)
            || name == "kernel.sem"
        )
            return null;
        return $"not namespaced: it would change the agent's host; only {Allowed} may be set";
    }

    /// <summary>
    /// The network sysctls, which the agent sets in the replica's network namespace from the host side.
    /// </summary>
    public static bool IsNetwork(string name) => name.StartsWith("net.", StringComparison.Ordinal);
}
