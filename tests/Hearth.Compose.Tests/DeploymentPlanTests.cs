using Hearth.Compose.Deployment;
using Hearth.Core.Placement;
using Hearth.Core.Services;

namespace Hearth.Compose.Tests;

/// <summary>Compose projects turned into the desired state `hearth up` sends, and the reconciler's first plan of it.</summary>
public sealed class DeploymentPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Every valid fixture whose services all have an image (the ones that need no build).</summary>
    public static TheoryData<string> Runnable => Fixtures.Theory(Fixtures.ValidFiles()
        .Where(f => !Fixtures.SchemaOnly.Contains(Fixtures.Relative(f)))
        .Where(f => FixtureTests.Load(Fixtures.Relative(f), resolveEnvFiles: false) is { Success: true } r
            && r.Project!.Services.Values.All(s => s.Image is not null)));

    private static AgentSnapshot Agent(string name)
    {
        var labels = new Dictionary<string, string> { ["driver.oci"] = "true" };
        return new AgentSnapshot(name, name, AgentStatus.Online, labels, AgentSnapshot.DriversFromLabels(labels), 64, 0, Now);
    }

    private static (ProjectSpec? Spec, IReadOnlyList<ComposeError> Errors) Build(ComposeLoadResult loaded, string directory) =>
        ProjectSpecBuilder.Build(loaded.Project!, path =>
        {
            var full = Path.Combine(directory, path);
            // Like the env files, some files the fixtures name were not copied with them (bridge's my-config.txt).
            return File.Exists(full) ? File.ReadAllText(full) : $"(not copied: {path})";
        }, _ => "from-env");

    [Fact]
    public void Runnable_fixtures_are_found()
    {
        Assert.True(Runnable.Count >= 15, $"{Runnable.Count} runnable fixtures");
    }

    /// <summary>
    /// Runnable fixtures that ask for what Hearth refuses rather than drop (UnsupportedKeys): `up` stops at these errors,
    /// each naming the service and the key.
    /// </summary>
    private static readonly Dictionary<string, string[]> Refused = new()
    {
        ["awesome-compose/pihole-cloudflared-DoH.compose.yaml"] =
        [
            "services.pihole.cap_add: Hearth does not support `cap_add` (containers keep the runtime's default capabilities); remove it",
        ],
        ["awesome-compose/wireguard.compose.yaml"] =
        [
            "services.wireguard.cap_add: Hearth does not support `cap_add` (containers keep the runtime's default capabilities); remove it",
            "services.wireguard.sysctls: Hearth does not support `sysctls` (the agent sets the container's security and limits); remove it",
        ],
    };

    [Theory]
    [MemberData(nameof(Runnable))]
    public void A_fixture_that_needs_no_build_reaches_the_first_plan(string file)
    {
        var loaded = FixtureTests.Load(file, resolveEnvFiles: false);
        var (spec, errors) = Build(loaded, Path.GetDirectoryName(Path.Combine(Fixtures.ComposeDirectory, file))!);
        if (Refused.TryGetValue(file, out var expected))
        {
            Assert.Null(spec);
            Assert.Equal(expected, errors.Select(e => $"{e.Path}: {e.Message}").Order(StringComparer.Ordinal));
            return;
        }
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var plan = ServiceReconciler.Plan(new ServiceSnapshot(spec!, false, [], [Agent("a"), Agent("b")], Now));

        // Each replica is either started or waits for a dependency; nothing is placed nowhere.
        var decided = plan.Actions.Select(a => a.Name).ToHashSet();
        foreach (var service in spec!.Services)
        {
            foreach (var index in Enumerable.Range(1, service.Replicas)) Assert.Contains($"{service.Name}-{index}", decided);
        }
        Assert.DoesNotContain(plan.Of<WaitReplica>(), w => w.Reason.StartsWith("no agent", StringComparison.Ordinal));
        Assert.All(plan.Of<StartReplica>(), s => Assert.DoesNotContain(spec.Services.Single(d => d.Name == s.Service).DependsOn,
            d => d.Required && spec.Services.Any(x => x.Name == d.Service)));
    }

    [Fact]
    public void A_service_maps_to_what_a_replica_runs()
    {
        var result = InMemory.Load("""
                    name: shop
                    services:
                      db:
                        image: busybox
                        command: ["httpd", "-f"]
                        environment: { A: "1" }
                        restart: on-failure:4
                        healthcheck:
                          test: wget -q -O- http://localhost/ || exit 1
                          interval: 2s
                          retries: 5
                        volumes: [ "data:/var/lib/db", "/srv/conf:/etc/conf:ro" ]
                        tmpfs: [ /tmp ]
                        secrets: [ token ]
                        deploy: { replicas: 2, resources: { limits: { cpus: "0.5", memory: 64m } } }
                        x-hearth: { constraints: [ "zone==eu" ] }
                      api:
                        image: busybox
                        entrypoint: [ "/bin/sh", "-c" ]
                        command: [ "sleep 1000" ]
                        ports: [ "8080:80" ]
                        networks: { back: { aliases: [ backend ] } }
                        depends_on: { db: { condition: service_healthy, restart: true } }
                        healthcheck: { test: [ "NONE" ] }
                    networks: { back: {} }
                    volumes: { data: {} }
                    secrets: { token: { file: ./token.txt } }
                    """, new Dictionary<string, string> { ["/project/token.txt"] = "s3cret" });
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, p => p.EndsWith("token.txt") ? "s3cret" : null, _ => null);
        Assert.Empty(errors);

        var db = spec!.Services.Single(s => s.Name == "db");
        Assert.Equal(["httpd", "-f"], db.Command);
        Assert.Equal((2, RestartMode.OnFailure, 4), (db.Replicas, db.Restart.Mode, db.Restart.MaxRetries));
        Assert.Equal(["/bin/sh", "-c", "wget -q -O- http://localhost/ || exit 1"], db.HealthCheck!.Test);
        Assert.Equal((TimeSpan.FromSeconds(2), 5, TimeSpan.FromSeconds(30)), (db.HealthCheck.Interval, db.HealthCheck.Retries, db.HealthCheck.Timeout));
        Assert.Equal((0.5, 64L << 20), (db.Cpus!.Value, db.MemoryBytes!.Value));
        Assert.Equal([new LabelConstraint("zone", "eu")], db.Constraints);
        Assert.Equal([ServiceMountKind.Volume, ServiceMountKind.Bind, ServiceMountKind.Tmpfs], db.Mounts.Select(m => m.Kind));
        Assert.Equal(("data", "/var/lib/db", true), (db.Mounts[0].Source, db.Mounts[0].Target, db.Mounts[1].ReadOnly));
        var secret = Assert.Single(db.Files);
        Assert.Equal(("/run/secrets/token", "s3cret", true), (secret.Target, secret.Content, secret.Secret));
        Assert.Equal("1", db.Env["A"]);

        var api = spec.Services.Single(s => s.Name == "api");
        Assert.Equal(["/bin/sh", "-c", "sleep 1000"], api.Command);
        Assert.Equal((8080, 80), (api.Ports[0].HostPort, api.Ports[0].ContainerPort));
        Assert.Equal([new ServiceDependencySpec("db", DependencyKind.ServiceHealthy, true, true)], api.DependsOn);
        Assert.Null(api.HealthCheck);
        var network = Assert.Single(api.Networks);
        Assert.Equal(("back", "backend"), (network.Network, Assert.Single(network.Aliases)));
        Assert.Equal(["back", "default"], spec.Networks);
    }

    [Fact]
    public void A_build_only_service_and_an_unknown_restart_are_refused_naming_the_service()
    {
        var result = InMemory.Load("services:\n  app: { build: . }\n  job: { image: busybox, deploy: { restart_policy: { condition: sometimes } } }\n");
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");

        Assert.Null(spec);
        Assert.Equal(["services.app.build", "services.job.restart"], errors.Select(e => e.Path));
        Assert.Contains("has not been built", errors[0].Message);
        Assert.Contains("sometimes", errors[1].Message);
    }

    [Fact]
    public void Keys_that_change_how_a_container_runs_are_refused_naming_service_and_key_and_harmless_ones_warned()
    {
        var result = InMemory.Load("""
            services:
              app:
                image: busybox
                privileged: true
                cap_add: [ NET_ADMIN ]
                pid: host
                devices: [ "/dev/kvm:/dev/kvm" ]
                network_mode: host
                user: "1000"
                stop_signal: SIGINT
              quiet:
                image: busybox
                init: true
                container_name: q
                labels: { team: a }
                stop_signal: SIGTERM
                expose: [ "80" ]
                pull_policy: if_not_present
            """);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");

        Assert.Null(spec);
        Assert.Equal(
        [
            "services.app.cap_add", "services.app.devices", "services.app.network_mode", "services.app.pid",
            "services.app.privileged", "services.app.stop_signal", "services.app.user",
        ], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.All(errors, e => Assert.Equal("compose.yaml", e.File));
        Assert.Equal("Hearth does not support `privileged` (a replica never gets the host's privileges); remove it",
            errors.Single(e => e.Path == "services.app.privileged").Message);

        var quiet = InMemory.Load("services:\n  quiet: { image: busybox, init: true, container_name: q, labels: { team: a }, "
            + "stop_signal: SIGTERM, expose: [ \"80\" ], pull_policy: if_not_present }\n");
        var (built, none) = ProjectSpecBuilder.Build(quiet.Project!, _ => null, _ => null, "compose.yaml");
        Assert.Empty(none);
        Assert.Equal("missing", built!.Services.Single().Pull);
        Assert.Equal(["services.quiet.container_name", "services.quiet.init", "services.quiet.labels"],
            ProjectSpecBuilder.Ignored(quiet.Project!).Select(w => w.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_key_Hearth_does_not_know_is_refused_rather_than_dropped()
    {
        var result = InMemory.Load("services:\n  app: { image: busybox, shm_size: 1g, pull_policy: daily }\n");
        var (_, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");

        Assert.Equal(["services.app.pull_policy", "services.app.shm_size"], errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains("deploy.resources.limits", errors.Single(e => e.Path == "services.app.shm_size").Message);
    }
}
