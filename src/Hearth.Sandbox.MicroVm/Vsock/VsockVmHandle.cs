using System.Globalization;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// The state a vsock backend keeps in a <c>microvm</c> handle: which backend, where the sandbox's records and scratch
/// directory are, the vsock device's socket, and the backend's own keys (Firecracker's monitor pid, Flintlock's uid).
/// </summary>
internal sealed record VsockVmHandle(
    string SandboxId,
    string Backend,
    DateTimeOffset StartedAt,
    string StateDirectory,
    string Scratch,
    string VsockPath,
    IReadOnlyDictionary<string, string> Extra
)
{
    public const int Version = 1;

    public SandboxHandle ToHandle()
    {
        var state = new Dictionary<string, string>(Extra, StringComparer.Ordinal)
        {
            ["backend"] = Backend,
            ["started_at"] = StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["state_dir"] = StateDirectory,
            ["scratch"] = Scratch,
            ["vsock_path"] = VsockPath,
        };
        return new SandboxHandle(MicroVmHandle.Driver, SandboxId, Version, state);
    }

    public static VsockVmHandle From(SandboxHandle handle, string backend, params string[] extraKeys)
    {
        if (handle.Driver != MicroVmHandle.Driver)
            throw new SandboxRecoveryException($"a {handle.Driver} handle given to the microvm driver");
        if (handle.Version != Version)
            throw new SandboxRecoveryException(
                $"the microvm handle of {handle.SandboxId} has version {handle.Version}, expected {Version}"
            );
        if (handle.Optional("backend") != backend)
            throw new SandboxRecoveryException(
                $"the microvm handle of {handle.SandboxId} is of backend '{handle.Optional("backend")}', not {backend}"
            );
        if (
            !long.TryParse(
                handle.Require("started_at"),
                NumberStyles.Integer,
                CultureInfo.InvariantCulture,
                out var started
            )
        )
            throw new SandboxRecoveryException($"the microvm handle of {handle.SandboxId} is malformed: started_at");
        return new VsockVmHandle(
            handle.SandboxId,
            backend,
            DateTimeOffset.FromUnixTimeMilliseconds(started),
            handle.Require("state_dir"),
            handle.Require("scratch"),
            handle.Require("vsock_path"),
            extraKeys.ToDictionary(k => k, handle.Require, StringComparer.Ordinal)
        );
    }
}
