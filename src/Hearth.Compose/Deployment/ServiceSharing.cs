using Hearth.Compose.Model;
using Hearth.Core.Services;

namespace Hearth.Compose.Deployment;

/// <summary>
/// What a service shares with another service's replicas: <c>network_mode</c> (<c>none</c>, or <c>service:X</c>:
/// replica i joins the network namespace of X's replica i), <c>ipc</c> (<c>service:X</c> the same for the IPC
/// namespace and X's /dev/shm; <c>private</c> and <c>shareable</c> are what every replica is anyway: its /dev/shm is a
/// tmpfs on its agent that a joiner can bind) and <c>volumes_from</c> (X's named
/// volumes and binds at the same targets, read-only with <c>:ro</c>; tmpfs is not shared, as in docker). Replica i runs
/// on the agent of X's replica i, so a service cannot have more replicas than X. What cannot be honoured is refused
/// with the key and why.
/// </summary>
internal static class ServiceSharing
{
    public static ServiceDefinition Apply(
        ComposeProject project,
        ComposeService s,
        ServiceDefinition definition,
        Action<string, string> error
    )
    {
        var at = $"services.{s.Name}";
        var networkMode = NetworkMode(project, s, at, error);
        var ipc = Ipc(project, s, at, error);
        if (ipc is not null && definition.Container?.ShmSizeBytes is not null)
            error($"{at}.shm_size", $"the replicas use {ipc}'s /dev/shm (ipc: service:{ipc}); set shm_size on {ipc}");
        var (volumesFrom, mounts) = VolumesFrom(project, s, definition.Mounts, at, error);
        var shared = definition with
        {
            NetworkMode = networkMode,
            IpcOf = ipc,
            VolumesFrom = volumesFrom.Count == 0 ? null : volumesFrom,
            Mounts = mounts,
        };
        foreach (var partner in shared.CoPlacedWith)
        {
            if (partner == s.Name)
            {
                error(at, $"service {s.Name} cannot share its own namespaces or volumes");
                continue;
            }
            if (
                project.Services.TryGetValue(partner, out var target)
                && shared.Replicas > (target.Deploy?.Replicas ?? 1)
            )
                error(
                    $"{at}.deploy.replicas",
                    $"{shared.Replicas} replicas, but {partner} has {target.Deploy?.Replicas ?? 1}: "
                        + $"replica i of {s.Name} shares with {partner}'s replica i, on its agent"
                );
        }
        return shared;
    }

    /// <summary>
    /// Names services that share, in a cycle, each other's namespaces or volumes (none could ever start).
    /// </summary>
    public static IEnumerable<(string Path, string Message)> Cycles(IReadOnlyList<ServiceDefinition> services)
    {
        var byName = services.ToDictionary(s => s.Name, StringComparer.Ordinal);
        foreach (var service in services)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var next = new Queue<string>(service.CoPlacedWith.Where(p => p != service.Name));
            while (next.TryDequeue(out var name))
            {
                if (name == service.Name)
                {
                    yield return (
                        $"services.{service.Name}",
                        $"service {service.Name} shares namespaces or volumes in a cycle "
                            + "(network_mode, ipc, volumes_from): none of them could start"
                    );
                    break;
                }
                if (!seen.Add(name) || !byName.TryGetValue(name, out var other))
                    continue;
                foreach (var p in other.CoPlacedWith)
                    next.Enqueue(p);
            }
        }
    }

    private static string? NetworkMode(
        ComposeProject project,
        ComposeService s,
        string at,
        Action<string, string> error
    )
    {
        var path = $"{at}.network_mode";
        switch (s.NetworkMode)
        {
            case null:
                return null;
            case "none":
                if (!s.Ports.IsDefaultOrEmpty)
                    error($"{at}.ports", "ports cannot be published with network_mode: none");
                return "none";
            case "host":
                error(
                    path,
                    "Hearth does not support `network_mode: host`: replicas never share their agent's network; "
                        + "publish ports instead"
                );
                return null;
            case var mode when mode.StartsWith("container:", StringComparison.Ordinal):
                error(
                    path,
                    $"Hearth does not support `network_mode: {mode}`: it names a container outside the project; "
                        + "use service:NAME"
                );
                return null;
            case var mode when mode.StartsWith(ServiceDefinition.ServicePrefix, StringComparison.Ordinal):
                var partner = mode[ServiceDefinition.ServicePrefix.Length..];
                if (!project.Services.ContainsKey(partner))
                    error(path, $"\"{mode}\": service {partner} is not in the project");
                // As docker: the namespace's owner publishes ports and names the host; the joiner has neither of its
                // own.
                if (!s.Ports.IsDefaultOrEmpty)
                    error(
                        $"{at}.ports",
                        $"ports cannot be published with network_mode: {mode}; publish them on {partner}"
                    );
                if (s.Other.ContainsKey("hostname"))
                    error(
                        $"{at}.hostname",
                        $"a hostname cannot be set with network_mode: {mode}; the replica has {partner}'s"
                    );
                return mode;
            case var mode:
                error(
                    path,
                    $"\"{mode}\": expected none or service:NAME (replicas join the project's networks otherwise; "
                        + "host and container:NAME are not supported)"
                );
                return null;
        }
    }

    private static string? Ipc(ComposeProject project, ComposeService s, string at, Action<string, string> error)
    {
        if (!s.Other.TryGetValue("ipc", out var value))
            return null;
        var path = $"{at}.ipc";
        switch (value is ComposeValue.StringValue { Value: var text } ? text : null)
        {
            case "private" or "shareable" or "":
                return null;
            case "host":
                error(path, "Hearth does not support `ipc: host`: replicas never share their agent's IPC namespace");
                return null;
            case { } mode when mode.StartsWith(ServiceDefinition.ServicePrefix, StringComparison.Ordinal):
                var partner = mode[ServiceDefinition.ServicePrefix.Length..];
                if (!project.Services.ContainsKey(partner))
                    error(path, $"\"{mode}\": service {partner} is not in the project");
                return partner;
            case var other:
                error(
                    path,
                    $"\"{other}\": expected private, shareable or service:NAME (host and container:NAME are not supported)"
                );
                return null;
        }
    }

    private static (List<string> Services, IReadOnlyList<ServiceMount> Mounts) VolumesFrom(
        ComposeProject project,
        ComposeService s,
        IReadOnlyList<ServiceMount> own,
        string at,
        Action<string, string> error
    )
    {
        var services = new List<string>();
        if (!s.Other.TryGetValue("volumes_from", out var value))
            return (services, own);
        var path = $"{at}.volumes_from";
        var mounts = own.ToList();
        var items = value is ComposeValue.ListValue list ? list.Items : [value];
        foreach (var item in items)
        {
            if (item is not ComposeValue.StringValue { Value: var text })
            {
                error(path, "expected a list of SERVICE[:ro|:rw]");
                continue;
            }
            if (text.StartsWith("container:", StringComparison.Ordinal))
            {
                error(
                    path,
                    $"\"{text}\": Hearth does not support volumes from a container outside the project; use SERVICE[:ro|:rw]"
                );
                continue;
            }
            var parts = text.Split(':');
            if (parts.Length > 2 || parts.Length == 2 && parts[1] is not ("ro" or "rw"))
            {
                error(path, $"\"{text}\": expected SERVICE, SERVICE:ro or SERVICE:rw");
                continue;
            }
            if (!project.Services.TryGetValue(parts[0], out var source))
            {
                error(path, $"\"{text}\": service {parts[0]} is not in the project");
                continue;
            }
            services.Add(source.Name);
            var mode = parts.Length == 2 ? parts[1] : null;
            // X's named volumes and binds at the same targets; its tmpfs stay its own (docker shares no tmpfs). A
            // target the service mounts itself keeps its own mount.
            foreach (var mount in ProjectSpecBuilder.Mounts(source).Where(m => m.Kind != ServiceMountKind.Tmpfs))
            {
                if (mounts.Any(m => m.Target == mount.Target))
                    continue;
                mounts.Add(
                    mount with
                    {
                        ReadOnly = mode switch
                        {
                            "ro" => true,
                            "rw" => false,
                            _ => mount.ReadOnly,
                        },
                    }
                );
            }
        }
        return (services.Distinct(StringComparer.Ordinal).ToList(), mounts);
    }
}
