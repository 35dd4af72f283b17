using System.Globalization;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// The microvm driver's state in a <see cref="SandboxHandle"/>: the monitor shell and QEMU (pids with start times, so a
/// reused pid is never taken for them), the control socket, where the records and the scratch directory (overlay
/// disk, socket, QEMU's log and console) are, the backend, and the VM's address on the bridge when it has a network
/// (its tap and records are found from it), and QEMU's cgroups by controller.
/// </summary>
internal sealed record MicroVmHandle(
    string SandboxId,
    ProcessIdentity Monitor,
    ProcessIdentity? Qemu,
    string ControlSocket,
    DateTimeOffset StartedAt,
    string StateDirectory,
    string Scratch,
    string ScratchRoot,
    string Backend,
    string? NetworkAddress = null,
    IReadOnlyDictionary<string, string>? Cgroups = null
)
{
    private const string CgroupPrefix = "cgroup.";

    public const int Version = 1;
    public const string Driver = "microvm";

    public SandboxHandle ToHandle()
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["monitor_pid"] = Monitor.Pid.ToString(CultureInfo.InvariantCulture),
            ["monitor_start_time"] = Monitor.StartTime.ToString(CultureInfo.InvariantCulture),
            ["control_socket"] = ControlSocket,
            ["started_at"] = StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["state_dir"] = StateDirectory,
            ["scratch"] = Scratch,
            ["scratch_root"] = ScratchRoot,
            ["backend"] = Backend,
        };
        if (NetworkAddress is { } address)
            state["network_address"] = address;
        foreach (var (controller, directory) in Cgroups ?? new Dictionary<string, string>())
            state[CgroupPrefix + controller] = directory;
        if (Qemu is { } qemu)
        {
            state["qemu_pid"] = qemu.Pid.ToString(CultureInfo.InvariantCulture);
            state["qemu_start_time"] = qemu.StartTime.ToString(CultureInfo.InvariantCulture);
        }
        return new SandboxHandle(Driver, SandboxId, Version, state);
    }

    public static MicroVmHandle From(SandboxHandle handle)
    {
        if (handle.Driver != Driver)
            throw new SandboxRecoveryException($"a {handle.Driver} handle given to the microvm driver");
        if (handle.Version != Version)
            throw new SandboxRecoveryException(
                $"the microvm handle of {handle.SandboxId} has version {handle.Version}, expected {Version}"
            );
        try
        {
            ProcessIdentity? qemu = handle.Optional("qemu_pid") is { } pid
                ? new ProcessIdentity(
                    Parse(pid),
                    long.Parse(handle.Require("qemu_start_time"), CultureInfo.InvariantCulture)
                )
                : null;
            return new MicroVmHandle(
                handle.SandboxId,
                new ProcessIdentity(
                    Parse(handle.Require("monitor_pid")),
                    long.Parse(handle.Require("monitor_start_time"), CultureInfo.InvariantCulture)
                ),
                qemu,
                handle.Require("control_socket"),
                DateTimeOffset.FromUnixTimeMilliseconds(
                    long.Parse(handle.Require("started_at"), CultureInfo.InvariantCulture)
                ),
                handle.Require("state_dir"),
                handle.Require("scratch"),
                handle.Require("scratch_root"),
                handle.Require("backend"),
                handle.Optional("network_address"),
                handle
                    .State.Where(e => e.Key.StartsWith(CgroupPrefix, StringComparison.Ordinal))
                    .ToDictionary(e => e.Key[CgroupPrefix.Length..], e => e.Value, StringComparer.Ordinal)
            );
        }
        catch (FormatException e)
        {
            throw new SandboxRecoveryException(
                $"the microvm handle of {handle.SandboxId} is malformed: {e.Message}",
                e
            );
        }
    }

    private static int Parse(string value) => int.Parse(value, CultureInfo.InvariantCulture);
}
