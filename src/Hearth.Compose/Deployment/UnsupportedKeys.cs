using Hearth.Compose.Model;

namespace Hearth.Compose.Deployment;

/// <summary>
/// The compose keys a service may carry that Hearth does not act on. Those that change what the container may do or
/// how it runs beyond what Hearth honours (privileged, pid, devices, …) are refused by name, so a
/// project never runs differently from what its file says; those that only name or describe it (container_name, labels,
/// logging, init, …) are tolerated with a warning. A key in neither list (one Hearth does not know) is refused.
/// </summary>
public static class UnsupportedKeys
{
    /// <summary>Keys read from <see cref="ComposeService.Other"/> by <see cref="ProjectSpecBuilder"/> (sysctls and
    /// shm_size: by <see cref="ContainerSettingsBuilder"/>; ipc and volumes_from: by <see cref="ServiceSharing"/>), or that say
    /// nothing more than Hearth does anyway (<c>expose</c>: every port is reachable on the project's
    /// networks).</summary>
    private static readonly HashSet<string> Honoured =
    [
        "hostname",
        "pull_policy",
        "expose",
        "sysctls",
        "shm_size",
        "ipc",
        "volumes_from",
    ];

    /// <summary>Tolerated keys with why they change nothing that matters here.</summary>
    private static readonly Dictionary<string, string> Tolerated = new(StringComparer.Ordinal)
    {
        ["container_name"] = "replicas are named SERVICE-N by Hearth",
        ["label_file"] = "container labels are not kept",
        ["annotations"] = "container annotations are not kept",
        ["develop"] = "`watch` is a development loop of docker compose",
        ["tty"] = "replicas have no terminal",
        ["stdin_open"] = "replicas have no stdin",
        ["attach"] = "`hearth up` follows every replica's log",
        ["platform"] = "the agent pulls its own platform",
        ["domainname"] = "the replica's domain comes from its network",
    };

    /// <summary>Errors for the keys of <paramref name="s"/> Hearth refuses, as (key path, message).</summary>
    public static IEnumerable<(string Path, string Message)> Refused(ComposeService s)
    {
        var at = $"services.{s.Name}";
        (string, string) No(string key, string why) =>
            ($"{at}.{key}", $"Hearth does not support `{key}` ({why}); remove it");
        if (s.Deploy?.Mode is "global")
            yield return (
                $"{at}.deploy.mode",
                "Hearth does not support `deploy.mode: global` "
                    + "(a replica on every agent); set deploy.replicas and x-hearth.max_per_agent: 1"
            );
        foreach (var key in s.Other.Keys)
        {
            if (Honoured.Contains(key) || Tolerated.ContainsKey(key))
                continue;
            yield return No(key, Why(key));
        }
    }

    /// <summary>Warnings for the keys of <paramref name="s"/> that are accepted and have no effect.</summary>
    public static IEnumerable<(string Path, string Message)> Ignored(ComposeService s)
    {
        var at = $"services.{s.Name}";
        (string, string) Warn(string key, string why) => ($"{at}.{key}", $"ignored: {why}");
        if (!s.Labels.IsEmpty)
            yield return Warn("labels", "container labels are not kept");
        if (s.Logging is not null)
            yield return Warn("logging", "Hearth keeps every replica's log itself (hearth logs)");
        if (s.Init is true)
            yield return Warn("init", "no init process is added; replicas are stopped with SIGTERM, then SIGKILL");
        foreach (var key in s.Other.Keys)
        {
            if (Tolerated.TryGetValue(key, out var why))
                yield return Warn(key, why);
        }
    }

    private static string Why(string key) =>
        key switch
        {
            "privileged" => "a replica never gets the host's privileges",
            "devices" or "device_cgroup_rules" or "gpus" => "host devices are not passed to containers",
            "pid" or "uts" or "userns_mode" or "cgroup" => "each replica has its own namespaces",
            "security_opt"
            or "ulimits"
            or "cgroup_parent"
            or "runtime"
            or "isolation"
            or "storage_opt"
            or "oom_kill_disable"
            or "oom_score_adj"
            or "group_add" => "the agent sets the container's security and limits",
            "links" or "external_links" => "replicas reach each other by service name and network aliases",
            "extra_hosts" or "dns" or "dns_search" or "dns_opt" => "names come from the agent's embedded DNS",
            "mac_address" => "agents give replicas their addresses",
            "mem_limit"
            or "memswap_limit"
            or "mem_reservation"
            or "mem_swappiness"
            or "cpus"
            or "cpu_shares"
            or "cpu_quota"
            or "cpu_period"
            or "cpuset"
            or "cpu_count"
            or "cpu_percent"
            or "cpu_rt_runtime"
            or "cpu_rt_period"
            or "pids_limit"
            or "blkio_config" => "set limits under deploy.resources.limits (cpus, memory, pids)",
            _ => "not a key Hearth knows how to honour",
        };
}
