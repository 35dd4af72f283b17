using System.Globalization;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// The oci driver's state in a <see cref="SandboxHandle"/>: the container (id, runtime and its <c>--root</c>, cgroups
/// path), its monitor (pid and start time, so a reused pid is never taken for it), where its records and scratch
/// directory are, and what its exit needs (a kept container to delete, an OOM parent cgroup to read).
/// </summary>
internal sealed record OciHandle(
    string ContainerId,
    string Runtime,
    string RuntimeRoot,
    string CgroupsPath,
    bool Kept,
    string? OomParent,
    ProcessIdentity Monitor,
    DateTimeOffset StartedAt,
    string StateDirectory,
    string Scratch,
    string ScratchRoot
)
{
    /// <summary>The sandbox's address on each named network it joined.</summary>
    public IReadOnlyList<SandboxAddress> Addresses { get; init; } = [];

    public const int Version = 2;
    public const string Driver = "oci";

    public SandboxHandle ToHandle()
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["container_id"] = ContainerId,
            ["runtime"] = Runtime,
            ["runtime_root"] = RuntimeRoot,
            ["cgroups_path"] = CgroupsPath,
            ["kept"] = Kept ? "true" : "false",
            ["monitor_pid"] = Monitor.Pid.ToString(CultureInfo.InvariantCulture),
            ["monitor_start_time"] = Monitor.StartTime.ToString(CultureInfo.InvariantCulture),
            ["started_at"] = StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["state_dir"] = StateDirectory,
            ["scratch"] = Scratch,
            ["scratch_root"] = ScratchRoot,
        };
        if (OomParent is not null)
            state["oom_parent"] = OomParent;
        if (Addresses.Count > 0)
            state["addresses"] = string.Join('\n', Addresses.Select(a => $"{a.Network}\t{a.Address}\t{a.Gateway}"));
        return new SandboxHandle(Driver, ContainerId, Version, state);
    }

    public static OciHandle From(SandboxHandle handle)
    {
        if (handle.Driver != Driver)
            throw new SandboxRecoveryException($"a {handle.Driver} handle given to the oci driver");
        if (handle.Version != Version)
            throw new SandboxRecoveryException(
                $"the oci handle of {handle.SandboxId} has version {handle.Version}, expected {Version}"
            );
        try
        {
            return new OciHandle(
                handle.Require("container_id"),
                handle.Require("runtime"),
                handle.Require("runtime_root"),
                handle.Require("cgroups_path"),
                handle.Require("kept") == "true",
                handle.Optional("oom_parent"),
                new ProcessIdentity(
                    int.Parse(handle.Require("monitor_pid"), CultureInfo.InvariantCulture),
                    long.Parse(handle.Require("monitor_start_time"), CultureInfo.InvariantCulture)
                ),
                DateTimeOffset.FromUnixTimeMilliseconds(
                    long.Parse(handle.Require("started_at"), CultureInfo.InvariantCulture)
                ),
                handle.Require("state_dir"),
                handle.Require("scratch"),
                handle.Require("scratch_root")
            )
            {
                Addresses = ParseAddresses(handle.Optional("addresses")),
            };
        }
        catch (FormatException e)
        {
            throw new SandboxRecoveryException($"the oci handle of {handle.SandboxId} is malformed: {e.Message}", e);
        }
    }

    private static IReadOnlyList<SandboxAddress> ParseAddresses(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return [];
        return text.Split('\n')
            .Select(line =>
                line.Split('\t') is [var network, var address, var gateway]
                    ? new SandboxAddress(network, address, gateway)
                    : throw new FormatException($"'{line}' is not NETWORK\\tADDRESS\\tGATEWAY")
            )
            .ToList();
    }
}
