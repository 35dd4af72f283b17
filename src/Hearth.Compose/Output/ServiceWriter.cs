using System.Collections.Immutable;
using Hearth.Compose.Model;
using static Hearth.Compose.Output.ValueBuilder;

namespace Hearth.Compose.Output;

/// <summary>Renders one service in long syntax.</summary>
internal static class ServiceWriter
{
    public static ComposeValue ToValue(ComposeService s) =>
        new ValueBuilder()
            .Add("image", s.Image)
            .Add("build", s.Build is null ? null : Build(s.Build))
            .Add("command", s.Command is { } command ? List(command) : null)
            .Add("entrypoint", s.Entrypoint is { } entrypoint ? List(entrypoint) : null)
            .AddNullableMap("environment", s.Environment)
            .Add(
                "env_file",
                s.EnvFiles.IsEmpty
                    ? null
                    : new ComposeValue.ListValue([
                        .. s.EnvFiles.Select(f =>
                            new ValueBuilder().Add("path", f.Path).Add("required", f.Required).Sorted()
                        ),
                    ])
            )
            .Add("ports", s.Ports.IsEmpty ? null : new ComposeValue.ListValue([.. s.Ports.Select(Port)]))
            .Add("volumes", s.Volumes.IsEmpty ? null : new ComposeValue.ListValue([.. s.Volumes.Select(Volume)]))
            .AddList("tmpfs", s.Tmpfs)
            .Add(
                "networks",
                s.Networks.IsEmpty
                    ? null
                    : new ComposeValue.MapValue([
                        .. s.Networks.Select(kv =>
                            KeyValuePair.Create(kv.Key, kv.Value is null ? ComposeValue.Null : Network(kv.Value))
                        ),
                    ])
            )
            .Add("network_mode", s.NetworkMode)
            .Add(
                "depends_on",
                s.DependsOn.IsEmpty
                    ? null
                    : new ComposeValue.MapValue([
                        .. s.DependsOn.Select(kv =>
                            KeyValuePair.Create(
                                kv.Key,
                                (ComposeValue)
                                    new ValueBuilder()
                                        .Add("condition", Condition(kv.Value.Condition))
                                        .Add("required", kv.Value.Required)
                                        .Add("restart", kv.Value.Restart)
                                        .Sorted()
                            )
                        ),
                    ])
            )
            .Add("healthcheck", s.Healthcheck is null ? null : Healthcheck(s.Healthcheck))
            .Add("restart", s.Restart)
            .Add("deploy", s.Deploy is null ? null : Deploy(s.Deploy))
            .AddMap("labels", s.Labels)
            .Add("user", s.User)
            .Add("working_dir", s.WorkingDir)
            .Add("stop_signal", s.StopSignal)
            .Add("stop_grace_period", s.StopGracePeriod)
            .AddList("cap_add", s.CapAdd)
            .AddList("cap_drop", s.CapDrop)
            .AddTrue("read_only", s.ReadOnly)
            .Add("init", s.Init)
            .Add("secrets", FileReferences(s.Secrets))
            .Add("configs", FileReferences(s.Configs))
            .Add(
                "logging",
                s.Logging is null
                    ? null
                    : new ValueBuilder()
                        .Add("driver", s.Logging.Driver)
                        .AddNullableMap("options", s.Logging.Options)
                        .Sorted()
            )
            .AddList("profiles", s.Profiles)
            .Add("x-hearth", s.Hearth is null ? null : Hearth(s.Hearth))
            .AddAll(s.Other)
            .AddAll(s.Extensions)
            .Sorted();

    private static ComposeValue Build(BuildSpec b) =>
        new ValueBuilder()
            .Add("context", b.Context)
            .Add("dockerfile", b.Dockerfile)
            .Add("dockerfile_inline", b.DockerfileInline)
            .Add("target", b.Target)
            .AddNullableMap("args", b.Args)
            .AddAll(b.Other)
            .Sorted();

    private static ComposeValue Port(ServicePort p) =>
        new ValueBuilder()
            .Add("target", (long)p.Target)
            .Add("published", p.Published)
            .Add("host_ip", p.HostIp)
            .Add("protocol", p.Protocol)
            .Add("mode", p.Mode)
            .Add("name", p.Name)
            .Add("app_protocol", p.AppProtocol)
            .Sorted();

    private static ComposeValue Volume(ServiceVolume v) =>
        new ValueBuilder()
            .Add("type", v.Type)
            .Add("source", v.Source)
            .Add("target", v.Target)
            .AddTrue("read_only", v.ReadOnly)
            .Add("consistency", v.Consistency)
            .Add(
                "bind",
                v.Bind is null
                    ? null
                    : new ValueBuilder()
                        .Add("propagation", v.Bind.Propagation)
                        .Add("create_host_path", v.Bind.CreateHostPath)
                        .Add("selinux", v.Bind.SELinux)
                        .Sorted()
            )
            .Add(
                "volume",
                v.Volume is null
                    ? null
                    : new ValueBuilder().Add("nocopy", v.Volume.NoCopy).Add("subpath", v.Volume.Subpath).Sorted()
            )
            .Add(
                "tmpfs",
                v.Tmpfs is null ? null : new ValueBuilder().Add("size", v.Tmpfs.Size).Add("mode", v.Tmpfs.Mode).Sorted()
            )
            .Sorted();

    private static ComposeValue Network(ServiceNetwork n) =>
        new ValueBuilder()
            .AddList("aliases", n.Aliases)
            .Add("ipv4_address", n.Ipv4Address)
            .Add("ipv6_address", n.Ipv6Address)
            .Add("mac_address", n.MacAddress)
            .Add("priority", n.Priority)
            .AddAll(n.Other)
            .Sorted();

    private static ComposeValue Healthcheck(Healthcheck h) =>
        new ValueBuilder()
            .AddList("test", h.Test)
            .Add("interval", h.Interval)
            .Add("timeout", h.Timeout)
            .Add("start_period", h.StartPeriod)
            .Add("start_interval", h.StartInterval)
            .Add("retries", h.Retries)
            .AddTrue("disable", h.Disable)
            .Sorted();

    private static ComposeValue Deploy(DeploySpec d) =>
        new ValueBuilder()
            .Add("mode", d.Mode)
            .Add("replicas", d.Replicas)
            .Add(
                "resources",
                d.Limits is null && d.Reservations is null
                    ? null
                    : new ValueBuilder()
                        .Add("limits", d.Limits is null ? null : Resources(d.Limits))
                        .Add("reservations", d.Reservations is null ? null : Resources(d.Reservations))
                        .Sorted()
            )
            .Add(
                "restart_policy",
                d.RestartPolicy is not { } r
                    ? null
                    : new ValueBuilder()
                        .Add("condition", r.Condition)
                        .Add("delay", r.Delay)
                        .Add("max_attempts", r.MaxAttempts)
                        .Add("window", r.Window)
                        .Sorted()
            )
            .Add(
                "placement",
                d.Placement is not { } p
                    ? null
                    : new ValueBuilder()
                        .AddList("constraints", p.Constraints)
                        .Add(
                            "preferences",
                            p.Preferences.IsEmpty
                                ? null
                                : new ComposeValue.ListValue([
                                    .. p.Preferences.Select(spread =>
                                        (ComposeValue)new ValueBuilder().Add("spread", spread).Sorted()
                                    ),
                                ])
                        )
                        .Add("max_replicas_per_node", p.MaxReplicasPerNode)
                        .Sorted()
            )
            .AddMap("labels", d.Labels)
            .AddAll(d.Other)
            .Sorted();

    private static ComposeValue Resources(ResourceSpec r) =>
        new ValueBuilder()
            .Add("cpus", r.Cpus)
            .Add("memory", r.MemoryBytes)
            .Add("pids", r.Pids)
            .Add("devices", r.Devices.IsEmpty ? null : new ComposeValue.ListValue(r.Devices))
            .Add(
                "generic_resources",
                r.GenericResources.IsEmpty ? null : new ComposeValue.ListValue(r.GenericResources)
            )
            .Sorted();

    private static ComposeValue? FileReferences(ImmutableArray<FileReference> refs) =>
        refs.IsEmpty
            ? null
            : new ComposeValue.ListValue([
                .. refs.Select(r =>
                    (ComposeValue)
                        new ValueBuilder()
                            .Add("source", r.Source)
                            .Add("target", r.Target)
                            .Add("uid", r.Uid)
                            .Add("gid", r.Gid)
                            .Add("mode", r.Mode)
                            .Sorted()
                ),
            ]);

    private static ComposeValue Hearth(HearthServiceOptions h) =>
        new ValueBuilder()
            .AddList("constraints", h.Constraints)
            .Add(
                "scale",
                h.MinReplicas is null && h.MaxReplicas is null
                    ? null
                    : new ValueBuilder().Add("min", h.MinReplicas).Add("max", h.MaxReplicas).Sorted()
            )
            .Add("max_per_agent", h.MaxPerAgent)
            .Sorted();

    private static string Condition(DependencyCondition c) =>
        c switch
        {
            DependencyCondition.ServiceHealthy => "service_healthy",
            DependencyCondition.ServiceCompletedSuccessfully => "service_completed_successfully",
            _ => "service_started",
        };
}
