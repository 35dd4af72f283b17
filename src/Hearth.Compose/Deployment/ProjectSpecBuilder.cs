using Hearth.Compose.Model;
using Hearth.Core.Runs;
using Hearth.Core.Services;

namespace Hearth.Compose.Deployment;

/// <summary>
/// Turns a loaded compose project into the desired state the server keeps (<see cref="ProjectSpec"/>): each service's
/// image, argv, environment, ports, replicas, restart policy, dependencies, placement, resources, networks, mounts,
/// files and health check, in the forms the reconciler and the agent read. What cannot run here is refused with the
/// service and key it comes from (a <c>build:</c> service whose image was not built, an unknown restart value, a port
/// range).
/// </summary>
public static class ProjectSpecBuilder
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultStartInterval = TimeSpan.FromSeconds(5);

    /// <param name="readFile">Reads a secret's or config's <c>file:</c> (a path relative to the project
    /// directory).</param>
    /// <param name="environment">Looks up a secret's or config's <c>environment:</c> variable.</param>
    /// <param name="builtImages">The images built for <c>build:</c> services, by service
    /// (<see cref="ImageBuilds"/>).</param>
    public static (ProjectSpec? Spec, IReadOnlyList<ComposeError> Errors) Build(
        ComposeProject project,
        Func<string, string?> readFile,
        Func<string, string?> environment,
        string? file = null,
        IReadOnlyDictionary<string, string>? builtImages = null
    )
    {
        var errors = new List<ComposeError>();
        void Error(string path, string message) => errors.Add(new ComposeError(file ?? "", 0, 0, path, message));
        var subnets = FixedAddresses.Subnets(project, Error);
        var services = project
            .Services.Values.Select(s =>
                (
                    Compose: s,
                    Definition: ServiceSharing.Apply(
                        project,
                        s,
                        Service(project, s, builtImages?.GetValueOrDefault(s.Name), readFile, environment, Error),
                        Error
                    )
                )
            )
            .Select(p =>
                p.Definition with
                {
                    Networks = FixedAddresses.Attach(
                        p.Compose,
                        p.Definition.Networks,
                        subnets,
                        p.Definition.Replicas,
                        Error
                    ),
                }
            )
            .ToList();
        foreach (var (path, message) in ServiceSharing.Cycles(services))
            Error(path, message);
        var networks = project
            .Networks.Keys.Concat(services.SelectMany(s => s.Networks).Select(n => n.Network))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToList();
        var spec = new ProjectSpec
        {
            Name = project.Name,
            Services = services,
            Networks = networks,
            Volumes = [.. project.Volumes.Keys],
        };
        return errors.Count > 0 ? (null, errors) : (spec, []);
    }

    private static ServiceDefinition Service(
        ComposeProject project,
        ComposeService s,
        string? built,
        Func<string, string?> readFile,
        Func<string, string?> environment,
        Action<string, string> error
    )
    {
        var at = $"services.{s.Name}";
        foreach (var (path, message) in UnsupportedKeys.Refused(s))
            error(path, message);
        // With build: the service runs what was built (an image: next to it only names the result in compose).
        if (s.Image is null && built is null)
            error(
                $"{at}.build",
                "the service's image has not been built (hearth up builds it on an agent with buildah first)"
            );
        var restartText = s.Restart ?? RestartFromDeploy(s.Deploy?.RestartPolicy);
        if (!ServiceRestart.TryParse(restartText, out var restart))
            error($"{at}.restart", $"\"{restartText}\" is not one of no, always, on-failure[:N], unless-stopped");
        var attachments = Networks(project, s);
        return new ServiceDefinition
        {
            Name = s.Name,
            Image = built ?? s.Image ?? "",
            Command = [.. s.Entrypoint ?? [], .. s.Command ?? []],
            Env = new SortedDictionary<string, string>(
                s.Environment.Where(e => e.Value is not null).ToDictionary(e => e.Key, e => e.Value!),
                StringComparer.Ordinal
            ),
            Ports = Ports(s, at, error),
            Replicas = (int)Math.Clamp(s.Deploy?.Replicas ?? 1, 0, 1000),
            Restart = restart,
            DependsOn =
            [
                .. s.DependsOn.Select(d => new ServiceDependencySpec(
                    d.Key,
                    d.Value.Condition switch
                    {
                        DependencyCondition.ServiceHealthy => DependencyKind.ServiceHealthy,
                        DependencyCondition.ServiceCompletedSuccessfully => DependencyKind.ServiceCompletedSuccessfully,
                        _ => DependencyKind.ServiceStarted,
                    },
                    d.Value.Restart,
                    d.Value.Required
                )),
            ],
            Constraints = Constraints(s, at, error),
            MaxPerAgent = (int?)(s.Hearth?.MaxPerAgent ?? s.Deploy?.Placement?.MaxReplicasPerNode),
            Cpus = s.Deploy?.Limits?.Cpus,
            MemoryBytes = s.Deploy?.Limits?.MemoryBytes,
            Pids = (int?)s.Deploy?.Limits?.Pids,
            Hostname = s.Other.GetValueOrDefault("hostname") is ComposeValue.StringValue { Value: var host }
                ? host
                : null,
            Pull = Pull(s, at, error),
            Networks = attachments,
            Mounts = Mounts(s),
            Files =
            [
                .. Files(
                    project.Secrets,
                    s.Secrets,
                    "/run/secrets/",
                    $"{at}.secrets",
                    readFile,
                    environment,
                    error,
                    secret: true
                ),
                .. Files(project.Configs, s.Configs, "/", $"{at}.configs", readFile, environment, error, secret: false),
            ],
            HealthCheck = HealthCheck(s.Healthcheck),
            Container = ContainerSettingsBuilder.Build(s, at, error),
        };
    }

    /// <summary>
    /// Warnings for what the project's services carry that Hearth accepts and does not act on, as (key path, message).
    /// </summary>
    public static IReadOnlyList<(string Path, string Message)> Ignored(ComposeProject project) =>
        [.. project.Services.Values.SelectMany(UnsupportedKeys.Ignored)];

    /// <summary>
    /// Compose's <c>pull_policy</c> as the agent's pull policy (missing, always, never); null: the agent's default.
    /// </summary>
    private static string? Pull(ComposeService s, string at, Action<string, string> error)
    {
        if (!s.Other.TryGetValue("pull_policy", out var value))
            return null;
        switch (value is ComposeValue.StringValue { Value: var text } ? text : null)
        {
            case "always":
                return "always";
            case "never":
                return "never";
            case "missing" or "if_not_present":
                return "missing";
            case var other:
                error($"{at}.pull_policy", $"\"{other}\": expected always, missing (if_not_present) or never");
                return null;
        }
    }

    private static string? RestartFromDeploy(RestartPolicy? policy) =>
        policy?.Condition switch
        {
            null => null,
            "none" => "no",
            "any" => "always",
            "on-failure" => policy.MaxAttempts is { } max ? $"on-failure:{max}" : "on-failure",
            var other => other,
        };

    private static List<PublishedPort> Ports(ComposeService s, string at, Action<string, string> error)
    {
        var ports = new List<PublishedPort>();
        foreach (var port in s.Ports)
        {
            // A port without a host port is reachable on the project's networks only: nothing to publish.
            if (port.Published is null)
                continue;
            if (!int.TryParse(port.Published, out var host) || host is < 1 or > 65535)
            {
                error(
                    $"{at}.ports",
                    $"published port \"{port.Published}\": expected one host port (ranges are not published here)"
                );
                continue;
            }
            ports.Add(new PublishedPort(port.HostIp ?? "0.0.0.0", host, port.Target, port.Protocol));
        }
        return ports;
    }

    private static List<LabelConstraint> Constraints(ComposeService s, string at, Action<string, string> error)
    {
        var texts = (s.Hearth?.Constraints ?? []).Concat(s.Deploy?.Placement?.Constraints ?? []);
        var constraints = new List<LabelConstraint>();
        foreach (var text in texts)
        {
            if (!PlacementConstraint.TryParse(text, out var parsed))
            {
                error($"{at}.x-hearth.constraints", $"\"{text}\": expected LABEL==VALUE or LABEL!=VALUE");
                continue;
            }
            // Swarm writes agent labels as node.labels.NAME; Hearth's agents carry NAME.
            var label = parsed.Label.StartsWith("node.labels.", StringComparison.Ordinal)
                ? parsed.Label["node.labels.".Length..]
                : parsed.Label;
            constraints.Add(new LabelConstraint(label, parsed.Value, parsed.Equal));
        }
        return constraints;
    }

    private static List<ServiceNetworkAttachment> Networks(ComposeProject project, ComposeService s)
    {
        if (s.NetworkMode is not null)
            return [];
        if (s.Networks.Count == 0)
            return [new ServiceNetworkAttachment("default", [], Internal: IsInternal(project, "default"))];
        return
        [
            .. s.Networks.Select(n => new ServiceNetworkAttachment(
                n.Key,
                n.Value is { } v ? [.. v.Aliases] : [],
                Internal: IsInternal(project, n.Key)
            )),
        ];
    }

    private static bool IsInternal(ComposeProject project, string network) =>
        project.Networks.TryGetValue(network, out var definition) && definition is { Internal: true };

    internal static List<ServiceMount> Mounts(ComposeService s)
    {
        var mounts = new List<ServiceMount>();
        foreach (var v in s.Volumes)
        {
            mounts.Add(
                v.Type switch
                {
                    "bind" => new ServiceMount(ServiceMountKind.Bind, v.Source, v.Target, v.ReadOnly),
                    "tmpfs" => new ServiceMount(ServiceMountKind.Tmpfs, null, v.Target, v.ReadOnly, v.Tmpfs?.Size),
                    // An anonymous volume gets a name of its own, stable across restarts of the service.
                    _ => new ServiceMount(
                        ServiceMountKind.Volume,
                        v.Source ?? $"{s.Name}{v.Target.Replace('/', '_')}",
                        v.Target,
                        v.ReadOnly
                    ),
                }
            );
        }
        mounts.AddRange(s.Tmpfs.Select(t => new ServiceMount(ServiceMountKind.Tmpfs, null, t.Split(':')[0], false)));
        return mounts;
    }

    private static IEnumerable<ServiceFile> Files(
        IReadOnlyDictionary<string, FileObjectDefinition> defined,
        IEnumerable<FileReference> references,
        string root,
        string at,
        Func<string, string?> readFile,
        Func<string, string?> environment,
        Action<string, string> error,
        bool secret
    )
    {
        foreach (var reference in references)
        {
            var target = reference.Target is { } t ? (t.StartsWith('/') ? t : root + t) : root + reference.Source;
            var mode = (int)(reference.Mode ?? 0x124);
            if (!defined.TryGetValue(reference.Source, out var definition))
            {
                error(at, $"\"{reference.Source}\" is not defined at the top level");
                continue;
            }
            if (definition.External)
            {
                yield return new ServiceFile(target, definition.Name, null, mode, secret);
                continue;
            }
            var content = definition.Content
                ?? (definition.File is { } path ? readFile(path) : null)
                ?? (definition.Environment is { } variable ? environment(variable) : null);
            if (content is null)
            {
                error(
                    at,
                    definition.Environment is { } name
                        ? $"\"{reference.Source}\": environment variable {name} is not set"
                        : $"\"{reference.Source}\": its file \"{definition.File}\" cannot be read"
                );
                continue;
            }
            yield return new ServiceFile(target, null, content, mode, secret);
        }
    }

    /// <summary>
    /// Compose's test: <c>CMD</c> args as given, <c>CMD-SHELL</c> through <c>/bin/sh -c</c>, <c>NONE</c> none.
    /// </summary>
    public static HealthCheckSpec? HealthCheck(Healthcheck? check)
    {
        if (check is null || check.Disable || check.Test.IsDefaultOrEmpty || check.Test[0] == "NONE")
            return null;
        IReadOnlyList<string> test = check.Test[0] switch
        {
            "CMD" => [.. check.Test.Skip(1)],
            "CMD-SHELL" => ["/bin/sh", "-c", string.Join(' ', check.Test.Skip(1))],
            _ => [.. check.Test],
        };
        return new HealthCheckSpec(
            test,
            check.Interval ?? DefaultInterval,
            check.Timeout ?? DefaultTimeout,
            (int)(check.Retries ?? 3),
            check.StartPeriod ?? TimeSpan.Zero,
            check.StartInterval ?? DefaultStartInterval
        );
    }
}
