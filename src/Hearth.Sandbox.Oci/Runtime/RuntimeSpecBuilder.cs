using System.Text.Json.Nodes;
using Hearth.Core.Services;
using Hearth.Sandbox.Reaping;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// Writes the OCI runtime spec (config.json) for one sandbox: fresh pid, mount, ipc, uts, cgroup and network
/// namespaces (a run that asks for network joins the namespace its <see cref="NetworkPlan"/> names), a small
/// capability set (<see cref="LinuxCapabilities.Baseline"/> with a service's cap_add and cap_drop; none effective for
/// non-root users), a service's namespaced sysctls and read-only root, no-new-privileges, seccomp, masked /proc paths,
/// cgroup limits from the request; with <see cref="OciDriverOptions.UserNamespace"/>, a user namespace mapping the
/// container's ids onto that range.
/// </summary>
internal sealed class RuntimeSpecBuilder(OciDriverOptions options, CgroupSupport cgroups)
{
    private static readonly string[] MaskedPaths =
    [
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
    ];

    private static readonly string[] ReadonlyPaths =
    [
        "/proc/bus",
        "/proc/fs",
        "/proc/irq",
        "/proc/sys",
        "/proc/sysrq-trigger",
    ];

    /// <param name="oomWatch">When set, the memory limit is its parent's and the container's own cgroup sits below
    /// it.</param>
    /// <param name="workspace">When set, the host directory bound read-write at
    /// <see cref="OciDriverOptions.WorkspacePath"/>, which is then the process's working directory.</param>
    /// <param name="contents">The sandbox's own mounts and files (<see cref="SandboxContents"/>), after the standard
    /// ones.</param>
    /// <param name="shm">The host directory bound at /dev/shm (the sandbox's own tmpfs there, or the one of the sandbox
    /// whose IPC namespace it joins); null: a tmpfs the runtime mounts, of the container's shm_size.</param>
    public JsonObject Build(
        SandboxSpec spec,
        ProcessPlan plan,
        string containerId,
        string rootfsPath,
        NetworkPlan? network = null,
        OomWatch? oomWatch = null,
        string? workspace = null,
        IReadOnlyList<JsonNode>? contents = null,
        PeerContainer? ipc = null,
        string? shm = null
    )
    {
        var settings = spec.Container;
        // The baseline (LinuxCapabilities.Baseline), less cap_drop, plus cap_add (the driver checked them against its
        // allow-list).
        var capabilities = LinuxCapabilities.Effective(settings?.CapAdd ?? [], settings?.CapDrop ?? []);
        var caps = Strings(capabilities.Select(c => "CAP_" + c));
        var effective = plan.Uid == 0 ? caps.DeepClone() : new JsonArray();
        var linux = new JsonObject
        {
            ["namespaces"] = Namespaces(network, options.UserNamespace, ipc),
            ["cgroupsPath"] = oomWatch?.ContainerPath ?? CgroupPath(containerId),
            ["resources"] = Resources(spec.Limits, oomWatch is null ? 0 : Environment.SystemPageSize),
            ["maskedPaths"] = Strings(MaskedPaths),
            ["readonlyPaths"] = Strings(ReadonlyPaths),
        };
        if (options.Seccomp)
            linux["seccomp"] = SeccompProfile.Build();
        // net.* go into a namespace the agent made from the host side (ContainerChecks); one the runtime makes is the
        // container's.
        var sysctls = settings?.Sysctls.Where(s => network is null || !NamespacedSysctls.IsNetwork(s.Key)).ToList()
            ?? [];
        if (sysctls.Count > 0)
            linux["sysctl"] = new JsonObject(sysctls.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)s.Value)));
        if (options.UserNamespace is { } ids)
        {
            linux["uidMappings"] = IdMappings(ids);
            linux["gidMappings"] = IdMappings(ids);
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = false,
                ["user"] = new JsonObject { ["uid"] = plan.Uid, ["gid"] = plan.Gid },
                ["args"] = Strings(plan.Args),
                ["env"] = Strings(plan.Env),
                ["cwd"] = workspace is null ? plan.WorkingDirectory : options.WorkspacePath,
                ["capabilities"] = new JsonObject
                {
                    ["bounding"] = caps,
                    ["effective"] = effective,
                    ["permitted"] = effective.DeepClone(),
                    ["inheritable"] = new JsonArray(),
                    ["ambient"] = new JsonArray(),
                },
                ["rlimits"] = new JsonArray(
                    new JsonObject
                    {
                        ["type"] = "RLIMIT_NOFILE",
                        ["hard"] = 1024,
                        ["soft"] = 1024,
                    }
                ),
                ["noNewPrivileges"] = true,
            },
            ["root"] = new JsonObject { ["path"] = rootfsPath, ["readonly"] = settings?.ReadOnlyRoot ?? false },
            ["hostname"] = spec.Hostname ?? Hostname(containerId),
            ["mounts"] = Mounts(
                network,
                workspace is null ? null : (workspace, options.WorkspacePath),
                contents ?? [],
                shm is null ? ShmTmpfs(settings?.ShmSizeBytes ?? ContainerSettings.DefaultShmSizeBytes) : ShmBind(shm)
            ),
            ["linux"] = linux,
            // Ownership marks: what the orphan reaper reads back from the runtime's state.
            ["annotations"] = new JsonObject
            {
                [SandboxMarks.SandboxAnnotation] = spec.SandboxId,
                [SandboxMarks.OwnerAnnotation] = SandboxOwner.Normalize(spec.ScratchRoot),
            },
        };
    }

    public string CgroupPath(string containerId) => $"{options.CgroupParent.TrimEnd('/')}/{containerId}";

    public static string Hostname(string containerId) => containerId.Length > 63 ? containerId[..63] : containerId;

    public static string HostnameOf(SandboxSpec spec) => spec.Hostname ?? Hostname(spec.SandboxId);

    private static JsonArray Namespaces(NetworkPlan? network, IdMapping? ids, PeerContainer? ipc)
    {
        var namespaces = new JsonArray();
        if (ids is not null)
        {
            // An IPC namespace belongs to the user namespace of the container that made it, and only that one's root
            // may mount its mqueue: a joiner joins that user namespace too (the same range), as docker does.
            var user = new JsonObject { ["type"] = "user" };
            if (ipc is not null)
                user["path"] = ipc.UserNamespace;
            namespaces.Add((JsonNode)user);
        }
        foreach (var kind in new[] { "pid", "mount", "uts", "cgroup" })
            namespaces.Add((JsonNode)new JsonObject { ["type"] = kind });
        var shared = new JsonObject { ["type"] = "ipc" };
        if (ipc is not null)
            shared["path"] = ipc.IpcNamespace;
        namespaces.Add((JsonNode)shared);
        // Without a plan the runtime makes a fresh namespace holding only lo.
        var net = new JsonObject { ["type"] = "network" };
        if (network is not null)
            net["path"] = network.NamespacePath;
        namespaces.Add((JsonNode)net);
        return namespaces;
    }

    /// <param name="memoryHeadroom">Added to the memory limit, so that a parent cgroup holding the real limit runs out
    /// first.</param>
    private JsonObject Resources(ResourceLimits limits, long memoryHeadroom)
    {
        var resources = new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }),
        };
        if (limits.MemoryBytes is { } memory)
        {
            var block = new JsonObject { ["limit"] = memory + memoryHeadroom };
            // Without this a hog could spill into swap instead of meeting the OOM killer.
            if (cgroups.SwapAccounting)
                block["swap"] = memory + memoryHeadroom;
            resources["memory"] = block;
        }
        if (limits.Pids is { } pids)
            resources["pids"] = new JsonObject { ["limit"] = pids };
        if (limits.Cpus is { } cpus)
        {
            const long period = 100_000;
            resources["cpu"] = new JsonObject { ["period"] = period, ["quota"] = (long)Math.Ceiling(cpus * period) };
        }
        return resources;
    }

    private static JsonArray IdMappings(IdMapping ids) =>
        new(
            new JsonObject
            {
                ["containerID"] = 0,
                ["hostID"] = ids.HostIdBase,
                ["size"] = ids.Size,
            }
        );

    private static JsonNode ShmTmpfs(long sizeBytes) =>
        Mount(
            "/dev/shm",
            "tmpfs",
            "shm",
            "nosuid",
            "noexec",
            "nodev",
            "mode=1777",
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"size={sizeBytes}")
        );

    // The host's tmpfs is mounted nosuid, nodev and noexec: a bind of it must keep them (in a user namespace they are
    // locked).
    private static JsonNode ShmBind(string source) =>
        Mount("/dev/shm", "bind", source, "bind", "rw", "nosuid", "noexec", "nodev");

    private static JsonArray Mounts(
        NetworkPlan? network,
        (string Source, string Destination)? workspace,
        IReadOnlyList<JsonNode> contents,
        JsonNode shm
    )
    {
        var sys = network?.Sysfs is { } sysfs
            ? Mount("/sys", "bind", sysfs, "rbind", "nosuid", "noexec", "nodev", "ro")
            : Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"),
            // A tmpfs the driver mounted on the host (its own, or that of the sandbox whose IPC namespace it joins):
            // one mounted by the runtime inside another container's mount namespace could not be bound here (EINVAL).
            shm,
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            sys,
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"),
        };
        if (network is not null)
        {
            mounts.Add(Mount("/etc/hosts", "bind", network.HostsFile, "rbind", "ro", "nosuid", "nodev", "noexec"));
            mounts.Add(
                Mount("/etc/resolv.conf", "bind", network.ResolvConfFile, "rbind", "ro", "nosuid", "nodev", "noexec")
            );
        }
        if (workspace is { } bound)
            mounts.Add(Mount(bound.Destination, "bind", bound.Source, "rbind", "rw", "nosuid", "nodev"));
        foreach (var mount in contents)
            mounts.Add(mount.DeepClone());
        return mounts;
    }

    private static JsonNode Mount(string destination, string type, string source, params string[] mountOptions) =>
        new JsonObject()
        {
            ["destination"] = destination,
            ["type"] = type,
            ["source"] = source,
            ["options"] = Strings(mountOptions),
        };

    private static JsonArray Strings(IEnumerable<string> values) =>
        new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
}
