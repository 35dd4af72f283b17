using Hearth.Core.Services;
using Hearth.Sandbox.Oci.Networking;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// The agent's own checks of a sandbox's <see cref="ContainerSettings"/> (the server placed it by the allowed set this
/// agent advertises, but never trust that), and the network sysctls it sets from the host side.
/// </summary>
internal static class ContainerChecks
{
    /// <exception cref="SandboxStartException">Settings the server should have refused (a bad capability or signal
    /// name, a sysctl that is not namespaced, …) or a capability beyond <paramref name="allowed"/>.</exception>
    public static void Validate(ContainerSettings? settings, IReadOnlyList<string> allowed)
    {
        if (settings is null)
            return;
        if (settings.Problem() is { } problem)
            throw new SandboxStartException(problem);
        var refused = LinuxCapabilities.NotAllowed(settings.CapAdd, allowed);
        if (refused.Count > 0)
            throw new SandboxStartException(
                $"capability {string.Join(", ", refused)} is not allowed on this agent (it allows "
                    + $"{(allowed.Count == 0 ? "none beyond the default set" : string.Join(", ", allowed))}; "
                    + "--oci-allow-caps)"
            );
    }

    /// <summary>
    /// Writes the <c>net.*</c> sysctls into the sandbox's network namespace as the host's root: a namespace the agent
    /// made belongs to the host's user namespace, so a container in a user namespace of its own could not write them.
    /// </summary>
    public static async Task SetNetworkSysctlsAsync(
        ContainerSettings? settings,
        string namespacePath,
        CancellationToken cancellationToken
    )
    {
        var network = settings?.Sysctls.Where(s => NamespacedSysctls.IsNetwork(s.Key)).ToList() ?? [];
        if (network.Count == 0)
            return;
        var args = new List<string> { $"--net={namespacePath}", "--", "sysctl", "-qw" };
        args.AddRange(network.Select(s => $"{s.Key}={s.Value}"));
        var (code, error) = await HostCommand.TryRunAsync("nsenter", args, cancellationToken);
        if (code != 0)
            throw new SandboxStartException($"sysctls {string.Join(", ", network.Select(s => s.Key))}: {error.Trim()}");
    }
}
