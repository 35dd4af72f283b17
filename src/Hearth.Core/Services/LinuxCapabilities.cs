namespace Hearth.Core.Services;

/// <summary>
/// Linux capability names as services ask for them (compose's <c>cap_add</c> / <c>cap_drop</c>) and as agents allow
/// them (<c>--oci-allow-caps</c>): upper case, without the <c>CAP_</c> prefix, <c>ALL</c> standing for every one.
/// </summary>
public static class LinuxCapabilities
{
    public const string All = "ALL";

    /// <summary>
    /// The agent label (set by the oci driver) listing the capabilities a replica may add there, comma-separated.
    /// </summary>
    public const string AllowedLabel = "driver.oci.allow_caps";

    /// <summary>Every capability of Linux 6.x, in the kernel's order.</summary>
    public static readonly IReadOnlyList<string> Known =
    [
        "CHOWN",
        "DAC_OVERRIDE",
        "DAC_READ_SEARCH",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "LINUX_IMMUTABLE",
        "NET_BIND_SERVICE",
        "NET_BROADCAST",
        "NET_ADMIN",
        "NET_RAW",
        "IPC_LOCK",
        "IPC_OWNER",
        "SYS_MODULE",
        "SYS_RAWIO",
        "SYS_CHROOT",
        "SYS_PTRACE",
        "SYS_PACCT",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_NICE",
        "SYS_RESOURCE",
        "SYS_TIME",
        "SYS_TTY_CONFIG",
        "MKNOD",
        "LEASE",
        "AUDIT_WRITE",
        "AUDIT_CONTROL",
        "SETFCAP",
        "MAC_OVERRIDE",
        "MAC_ADMIN",
        "SYSLOG",
        "WAKE_ALARM",
        "BLOCK_SUSPEND",
        "AUDIT_READ",
        "PERFMON",
        "BPF",
        "CHECKPOINT_RESTORE",
    ];

    /// <summary>What every container of the oci driver gets: Docker's default set less MKNOD and NET_RAW.</summary>
    public static readonly IReadOnlyList<string> Baseline =
    [
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "SETGID",
        "SETUID",
        "SETPCAP",
        "NET_BIND_SERVICE",
        "SYS_CHROOT",
        "SETFCAP",
        "AUDIT_WRITE",
    ];

    /// <summary>
    /// What an agent allows replicas to add when its operator says nothing: Docker's default set less NET_RAW, plus
    /// NET_ADMIN and NET_RAW when its containers run in a user namespace (docs/services.md says why).
    /// </summary>
    public static IReadOnlyList<string> DefaultAllowed(bool userNamespace) =>
        [.. Baseline, "MKNOD", .. userNamespace ? new[] { "NET_ADMIN", "NET_RAW" } : []];

    /// <summary>
    /// The canonical name of <paramref name="name"/> (any case, with or without <c>CAP_</c>), or null when unknown.
    /// </summary>
    public static string? Normalize(string? name)
    {
        var upper = name?.Trim().ToUpperInvariant() ?? "";
        if (upper.StartsWith("CAP_", StringComparison.Ordinal))
            upper = upper[4..];
        return upper == All || Known.Contains(upper) ? upper : null;
    }

    /// <summary>The set a list stands for (<c>ALL</c> expanded).</summary>
    public static HashSet<string> Expand(IEnumerable<string> names)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (name == All)
                set.UnionWith(Known);
            else
                set.Add(name);
        }
        return set;
    }

    /// <summary>
    /// The capabilities a container ends with, Docker's way: <c>cap_add: ALL</c> is every capability less the drops;
    /// otherwise the baseline (none with <c>cap_drop: ALL</c>) less the drops, plus the additions. In kernel order.
    /// </summary>
    public static IReadOnlyList<string> Effective(IReadOnlyList<string> add, IReadOnlyList<string> drop)
    {
        var set =
            add.Contains(All) ? new HashSet<string>(Known)
            : drop.Contains(All) ? []
            : new HashSet<string>(Baseline);
        set.ExceptWith(drop);
        if (!add.Contains(All))
            set.UnionWith(add);
        return [.. Known.Where(set.Contains)];
    }

    /// <summary>
    /// What of <paramref name="add"/> goes beyond the baseline and is not in <paramref name="allowed"/>.
    /// </summary>
    public static IReadOnlyList<string> NotAllowed(IReadOnlyList<string> add, IEnumerable<string> allowed)
    {
        var permitted = Expand(allowed);
        if (add.Contains(All))
            return permitted.IsSupersetOf(Known) ? [] : [All];
        return [.. add.Where(c => !Baseline.Contains(c) && !permitted.Contains(c))];
    }

    /// <summary>
    /// The allowed set an agent advertises in <see cref="AllowedLabel"/>; none when it has no such label.
    /// </summary>
    public static IReadOnlyList<string> AllowedBy(IReadOnlyDictionary<string, string> labels) =>
        labels.TryGetValue(AllowedLabel, out var list)
            ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]
            : [];
}
