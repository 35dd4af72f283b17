using System.Globalization;

namespace Hearth.Sandbox.Running;

/// <summary>The state a host-process driver (process, bubblewrap) keeps in a <see cref="SandboxHandle"/>.</summary>
internal sealed record HostHandle(
    ProcessIdentity Process,
    DateTimeOffset StartedAt,
    string StateDirectory,
    string Scratch,
    bool ScratchOwned,
    bool RootIsMonitor,
    IReadOnlyDictionary<string, string> Cgroups
)
{
    public const int Version = 1;
    private const string CgroupPrefix = "cgroup.";

    public SandboxHandle ToHandle(string driver, string sandboxId)
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["pid"] = Process.Pid.ToString(CultureInfo.InvariantCulture),
            ["start_time"] = Process.StartTime.ToString(CultureInfo.InvariantCulture),
            ["started_at"] = StartedAt.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
            ["state_dir"] = StateDirectory,
            ["scratch"] = Scratch,
            ["scratch_owned"] = ScratchOwned ? "true" : "false",
            ["root_is_monitor"] = RootIsMonitor ? "true" : "false",
        };
        foreach (var (controller, directory) in Cgroups)
            state[CgroupPrefix + controller] = directory;
        return new SandboxHandle(driver, sandboxId, Version, state);
    }

    public static HostHandle From(SandboxHandle handle, string driver)
    {
        if (handle.Driver != driver)
            throw new SandboxRecoveryException($"a {handle.Driver} handle given to the {driver} driver");
        if (handle.Version != Version)
            throw new SandboxRecoveryException(
                $"the {driver} handle of {handle.SandboxId} has version {handle.Version}, expected {Version}"
            );
        try
        {
            return new HostHandle(
                new ProcessIdentity(
                    int.Parse(handle.Require("pid"), CultureInfo.InvariantCulture),
                    long.Parse(handle.Require("start_time"), CultureInfo.InvariantCulture)
                ),
                DateTimeOffset.FromUnixTimeMilliseconds(
                    long.Parse(handle.Require("started_at"), CultureInfo.InvariantCulture)
                ),
                handle.Require("state_dir"),
                handle.Require("scratch"),
                handle.Require("scratch_owned") == "true",
                handle.Require("root_is_monitor") == "true",
                handle
                    .State.Where(s => s.Key.StartsWith(CgroupPrefix, StringComparison.Ordinal))
                    .ToDictionary(s => s.Key[CgroupPrefix.Length..], s => s.Value)
            );
        }
        catch (FormatException e)
        {
            throw new SandboxRecoveryException(
                $"the {driver} handle of {handle.SandboxId} is malformed: {e.Message}",
                e
            );
        }
    }
}
