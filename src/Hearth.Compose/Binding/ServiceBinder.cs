using System.Collections.Immutable;
using Hearth.Compose.Interpolation;
using Hearth.Compose.Model;
using Hearth.Compose.Yaml;
using static Hearth.Compose.Binding.Nodes;

namespace Hearth.Compose.Binding;

/// <summary>
/// Builds a <see cref="ComposeService"/> (long syntax, defaults filled) from a validated service tree.
/// </summary>
internal sealed class ServiceBinder(BindingContext context)
{
    private static readonly HashSet<string> Typed =
    [
        "image",
        "build",
        "command",
        "entrypoint",
        "environment",
        "env_file",
        "ports",
        "volumes",
        "tmpfs",
        "networks",
        "network_mode",
        "depends_on",
        "healthcheck",
        "restart",
        "deploy",
        "labels",
        "user",
        "working_dir",
        "stop_signal",
        "stop_grace_period",
        "cap_add",
        "cap_drop",
        "read_only",
        "init",
        "secrets",
        "configs",
        "logging",
        "profiles",
        "extends",
    ];

    private static readonly HashSet<string> RestartPolicies = ["no", "always", "on-failure", "unless-stopped"];

    public ComposeService Bind(string name, YNode node)
    {
        var path = KeyPath.Child("services", name);
        var map = node as YMapping ?? new YMapping(node.Mark, []);
        var envFiles = EnvFileReferences(map["env_file"]);
        var environment = Environment(map, envFiles, path);
        var extensions = Extensions(map);
        return new ComposeService
        {
            Name = name,
            Image = Str(map["image"]),
            Build = map["build"] is { } build
                ? new BuildBinder(context).Bind(build, KeyPath.Child(path, "build"))
                : null,
            Command = Command(map["command"]),
            Entrypoint = Command(map["entrypoint"]),
            Environment = environment,
            EnvFiles = context.ResolveEnvFiles ? [] : envFiles,
            Ports = Ports(map["ports"], KeyPath.Child(path, "ports")),
            Volumes = Volumes(map["volumes"], KeyPath.Child(path, "volumes")),
            Tmpfs = StrList(map["tmpfs"]),
            Networks = Networks(map),
            NetworkMode = Str(map["network_mode"]),
            DependsOn = DependsOn(map["depends_on"], KeyPath.Child(path, "depends_on")),
            Healthcheck = Healthcheck(map["healthcheck"]),
            Restart = Restart(map["restart"], KeyPath.Child(path, "restart")),
            Deploy = map["deploy"] is YMapping deploy
                ? new DeployBinder(context).Bind(deploy, KeyPath.Child(path, "deploy"))
                : null,
            Labels = Map(map["labels"]),
            User = Str(map["user"]),
            WorkingDir = Str(map["working_dir"]),
            StopSignal = Str(map["stop_signal"]),
            StopGracePeriod = Duration(map["stop_grace_period"]),
            CapAdd = StrList(map["cap_add"]),
            CapDrop = StrList(map["cap_drop"]),
            ReadOnly = Bool(map["read_only"]) ?? false,
            Init = Bool(map["init"]),
            Secrets = FileReferences(map["secrets"]),
            Configs = FileReferences(map["configs"]),
            Logging = map["logging"] is YMapping logging
                ? new LoggingSpec(Str(logging["driver"]), NullableMap(logging["options"]))
                : null,
            Profiles = StrList(map["profiles"]),
            Hearth = map["x-hearth"] is { } hearth
                ? new HearthExtensionBinder(context).Bind(hearth, KeyPath.Child(path, "x-hearth"))
                : null,
            Other = Others(map, Typed),
            Extensions = extensions.Remove("x-hearth"),
        };
    }

    private static ImmutableArray<string>? Command(YNode? node) =>
        node switch
        {
            YScalar { IsNull: false } s => [.. ShellWords.Split(s.Value)],
            YSequence => StrList(node),
            _ => null,
        };

    private ImmutableArray<EnvFileReference> EnvFileReferences(YNode? node)
    {
        var items = node switch
        {
            YScalar s => [s],
            YSequence seq => seq.Items,
            _ => [],
        };
        return
        [
            .. items.Select(item =>
                item switch
                {
                    YMapping m => new EnvFileReference(
                        context.ResolvePath(m["path"]!, Text(m["path"]!)),
                        Bool(m["required"]) ?? true
                    ),
                    _ => new EnvFileReference(context.ResolvePath(item, Text(item)), true),
                }
            ),
        ];
    }

    private ImmutableSortedDictionary<string, string?> Environment(
        YMapping map,
        ImmutableArray<EnvFileReference> envFiles,
        string path
    )
    {
        var result = ImmutableSortedDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
        if (context.ResolveEnvFiles)
        {
            for (var i = 0; i < envFiles.Length; i++)
            {
                var file = envFiles[i];
                var text = context.FileSystem.ReadAllText(file.Path);
                var at = map["env_file"]!;
                if (text is null)
                {
                    if (file.Required)
                        context.Error(at, KeyPath.Child(path, "env_file"), $"env file {file.Path} not found");
                    continue;
                }
                var parsed = DotEnv.Parse(text, context.Lookup);
                if (parsed.Error is not null)
                    context.Errors.Add(new ComposeError(file.Path, parsed.ErrorLine, 1, "", parsed.Error));
                foreach (var (key, value) in parsed.Variables)
                    result[key] = value;
            }
        }
        foreach (var (key, value) in NullableMap(map["environment"]))
            result[key] = value ?? context.Lookup(key);
        return result.ToImmutable();
    }

    private ImmutableArray<ServicePort> Ports(YNode? node, string path)
    {
        if (node is not YSequence seq)
            return [];
        var ports = new List<ServicePort>();
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            if (item is YMapping m)
            {
                var target = Long(m["target"]);
                if (target is null or < 0 or > 65535)
                {
                    context.Error(
                        item,
                        KeyPath.Index(path, i),
                        $"{KeyPath.Index(path, i)}.target must be a port number (0-65535)"
                    );
                    continue;
                }
                ports.Add(
                    new ServicePort(
                        (int)target,
                        Str(m["published"]),
                        Str(m["host_ip"]),
                        Str(m["protocol"]) ?? "tcp",
                        Str(m["mode"]) ?? "ingress",
                        Str(m["name"]),
                        Str(m["app_protocol"])
                    )
                );
            }
            else if (PortSyntax.TryParse(Text(item), out var parsed, out var error))
            {
                ports.AddRange(parsed);
            }
            else
            {
                context.Error(
                    item,
                    KeyPath.Index(path, i),
                    $"{KeyPath.Index(path, i)} is not a valid port \"{Text(item)}\": {error}"
                );
            }
        }
        return [.. ports];
    }

    private ImmutableArray<ServiceVolume> Volumes(YNode? node, string path)
    {
        if (node is not YSequence seq)
            return [];
        var volumes = new List<ServiceVolume>();
        for (var i = 0; i < seq.Items.Count; i++)
        {
            var item = seq.Items[i];
            var itemPath = KeyPath.Index(path, i);
            if (item is YMapping m)
            {
                var type = Str(m["type"]) ?? "volume";
                var source = Str(m["source"]);
                if (type == "bind" && source is not null)
                    source = context.ResolvePath(m["source"]!, source);
                var target = Str(m["target"]);
                if (target is null)
                {
                    context.Error(item, itemPath, $"{itemPath} missing property 'target'");
                    continue;
                }
                var bind = m["bind"] as YMapping;
                var volume = m["volume"] as YMapping;
                var tmpfs = m["tmpfs"] as YMapping;
                volumes.Add(
                    new ServiceVolume(
                        type,
                        source,
                        target,
                        Bool(m["read_only"]) ?? false,
                        Str(m["consistency"]),
                        bind is null
                            ? (type == "bind" ? new BindOptions(null, true, null) : null)
                            : new BindOptions(
                                Str(bind["propagation"]),
                                Bool(bind["create_host_path"]),
                                Str(bind["selinux"])
                            ),
                        volume is null ? null : new VolumeOptions(Bool(volume["nocopy"]), Str(volume["subpath"])),
                        tmpfs is null ? null : new TmpfsOptions(Bytes(tmpfs["size"]), Long(tmpfs["mode"]))
                    )
                );
            }
            else if (
                VolumeSyntax.TryParse(Text(item), p => context.ResolvePath(item, p), out var volume, out var error)
            )
            {
                volumes.Add(volume);
            }
            else
            {
                context.Error(item, itemPath, $"{itemPath} is not a valid volume \"{Text(item)}\": {error}");
            }
        }
        return [.. volumes];
    }

    private static ImmutableSortedDictionary<string, ServiceNetwork?> Networks(YMapping service)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, ServiceNetwork?>(StringComparer.Ordinal);
        if (service["networks"] is YMapping networks)
        {
            foreach (var e in networks.Entries)
                builder[e.Key.Value] = e.Value is YMapping m
                    ? new ServiceNetwork(
                        StrList(m["aliases"]),
                        Str(m["ipv4_address"]),
                        Str(m["ipv6_address"]),
                        Str(m["mac_address"]),
                        Double(m["priority"]),
                        Others(
                            m,
                            new HashSet<string> { "aliases", "ipv4_address", "ipv6_address", "mac_address", "priority" }
                        )
                    )
                    : null;
        }
        else if (service["network_mode"] is null)
        {
            builder["default"] = null;
        }
        return builder.ToImmutable();
    }

    private ImmutableSortedDictionary<string, ServiceDependency> DependsOn(YNode? node, string path)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, ServiceDependency>(StringComparer.Ordinal);
        if (node is not YMapping map)
            return builder.ToImmutable();
        foreach (var e in map.Entries)
        {
            var dep = e.Value as YMapping;
            var conditionText = Str(dep?["condition"]) ?? "service_started";
            DependencyCondition? condition = conditionText switch
            {
                "service_started" => DependencyCondition.ServiceStarted,
                "service_healthy" => DependencyCondition.ServiceHealthy,
                "service_completed_successfully" => DependencyCondition.ServiceCompletedSuccessfully,
                _ => null,
            };
            if (condition is null)
            {
                var at = KeyPath.Child(KeyPath.Child(path, e.Key.Value), "condition");
                context.Error(
                    dep?["condition"] ?? e.Value,
                    at,
                    $"{at} must be one of service_started, service_healthy, service_completed_successfully"
                );
                continue;
            }
            builder[e.Key.Value] = new ServiceDependency(
                condition.Value,
                Bool(dep?["restart"]) ?? false,
                Bool(dep?["required"]) ?? true
            );
        }
        return builder.ToImmutable();
    }

    private static Healthcheck? Healthcheck(YNode? node)
    {
        if (node is not YMapping m)
            return null;
        ImmutableArray<string> test = m["test"] switch
        {
            YScalar { IsNull: false } s => ["CMD-SHELL", s.Value],
            YSequence seq => StrList(seq),
            _ => [],
        };
        var disable = (Bool(m["disable"]) ?? false) || (test.Length > 0 && test[0] == "NONE");
        return new Healthcheck(
            test,
            Duration(m["interval"]),
            Duration(m["timeout"]),
            Duration(m["start_period"]),
            Duration(m["start_interval"]),
            Double(m["retries"]) is { } r ? (long)r : null,
            disable
        );
    }

    private string? Restart(YNode? node, string path)
    {
        var value = Str(node);
        if (value is null)
            return null;
        var policy = value.Split(':', 2);
        var ok =
            RestartPolicies.Contains(policy[0])
            && (policy.Length == 1 || (policy[0] == "on-failure" && int.TryParse(policy[1], out var n) && n >= 0));
        if (!ok)
            context.Error(node!, path, $"{path} must be one of no, always, on-failure[:max-retries], unless-stopped");
        return value;
    }

    private static ImmutableArray<FileReference> FileReferences(YNode? node) =>
        node is YSequence seq
            ?
            [
                .. seq.Items.Select(item =>
                    item is YMapping m
                        ? new FileReference(
                            Text(m["source"] ?? new YScalar(m.Mark, "", true)),
                            Str(m["target"]),
                            Str(m["uid"]),
                            Str(m["gid"]),
                            Long(m["mode"])
                        )
                        : new FileReference(Text(item), null, null, null, null)
                ),
            ]
            : [];
}
