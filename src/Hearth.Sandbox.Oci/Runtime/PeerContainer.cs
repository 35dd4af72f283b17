using System.Globalization;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// A running container of this agent another one shares namespaces with (<see cref="SandboxSpec.NetworkOf"/>,
/// <see cref="SandboxSpec.IpcOf"/>): found by the pid its runtime wrote into its bundle, checked to be that container's
/// (its cgroup path names it), so a reused pid is never joined.
/// </summary>
internal sealed record PeerContainer(string SandboxId, int Pid)
{
    public string NetworkNamespace => $"/proc/{Pid}/ns/net";

    public string IpcNamespace => $"/proc/{Pid}/ns/ipc";

    public string UserNamespace => $"/proc/{Pid}/ns/user";

    /// <summary>Whether the peer runs in a user namespace of its own (not the host's).</summary>
    public bool HasOwnUserNamespace()
    {
        try
        {
            return new FileInfo(UserNamespace).LinkTarget != new FileInfo("/proc/self/ns/user").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot read the user namespace of container {SandboxId}: {e.Message}");
        }
    }

    /// <summary>A path inside the peer's root, as the peer sees it (through its own mounts).</summary>
    public string Inside(string path) => $"/proc/{Pid}/root{path}";

    /// <exception cref="SandboxStartException">The peer is not a running container of this agent.</exception>
    public static PeerContainer Find(string scratchRoot, string sandboxId, string purpose)
    {
        var pidFile = Path.Combine(Path.GetFullPath(scratchRoot), sandboxId, "bundle", "container.pid");
        var text = File.Exists(pidFile) ? File.ReadAllText(pidFile).Trim() : "";
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            throw new SandboxStartException($"cannot {purpose}: container {sandboxId} is not running on this agent");
        var cgroup = $"/proc/{pid}/cgroup";
        string lines;
        try
        {
            lines = File.ReadAllText(cgroup);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot {purpose}: container {sandboxId} has ended");
        }
        if (
            !lines
                .Split('\n')
                .Any(l =>
                    l.EndsWith("/" + sandboxId, StringComparison.Ordinal)
                    || l.Contains("/" + sandboxId + "/", StringComparison.Ordinal)
                )
        )
            throw new SandboxStartException($"cannot {purpose}: container {sandboxId} has ended");
        return new PeerContainer(sandboxId, pid);
    }
}
