using Hearth.Sandbox.MicroVm.Vsock;

namespace Hearth.Sandbox.MicroVm.Firecracker;

/// <summary>
/// A Firecracker VM's files in its scratch directory (<c>SCRATCH_ROOT/SANDBOX_ID</c>), removed with the sandbox.
/// </summary>
internal sealed record FirecrackerLayout(string Scratch)
{
    public string ApiSocket => Path.Combine(Scratch, "api.sock");

    /// <summary>
    /// The vsock device's socket; Firecracker connects to <c>v.sock_PORT</c> for the guest's connections.
    /// </summary>
    public string VsockSocket => Path.Combine(Scratch, "v.sock");

    /// <summary>The task's copy of the image's disk (Firecracker has no copy-on-write format).</summary>
    public string RootDisk => Path.Combine(Scratch, "root.ext4");

    /// <summary>Firecracker's own log and the guest's serial console (its stdout).</summary>
    public string Log => Path.Combine(Scratch, "firecracker.log");

    /// <summary>The longest socket path: <c>v.sock_1003</c>.</summary>
    public string LongestSocket => VsockPorts.HostListener(VsockSocket, VsockPorts.Status);
}
