using Hearth.Compose.Deployment;
using Hearth.Core.Placement;
using Hearth.Core.Services;

namespace Hearth.Compose.Tests;

/// <summary>
/// Compose projects turned into the desired state `hearth up` sends, and the reconciler's first plan of it.
/// </summary>
public sealed class DeploymentPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Every valid fixture whose services all have an image (the ones that need no build).</summary>
    public static TheoryData<string> Runnable =>
        Fixtures.Theory(
            Fixtures
                .ValidFiles()
                .Where(f => !Fixtures.SchemaOnly.Contains(Fixtures.Relative(f)))
                .Where(f =>
                    FixtureTests.Load(Fixtures.Relative(f), resolveEnvFiles: false) is { Success: true } r
                    && r.Project!.Services.Values.All(s => s.Image is not null)
                )
        );

    private static AgentSnapshot Agent(string name)
    {
        // As an agent whose containers run in a user namespace advertises by default.
        var labels = new Dictionary<string, string>
        {
            ["driver.oci"] = "true",
            [LinuxCapabilities.AllowedLabel] = string.Join(",", LinuxCapabilities.DefaultAllowed(userNamespace: true)),
        };
        return new AgentSnapshot(
            name,
            name,
            AgentStatus.Online,
            labels,
            AgentSnapshot.DriversFromLabels(labels),
            64,
            0,
            Now
        );
    }

    private static (ProjectSpec? Spec, IReadOnlyList<ComposeError> Errors) Build(
        ComposeLoadResult loaded,
        string directory
    ) =>
        ProjectSpecBuilder.Build(
            loaded.Project!,
            path =>
            {
                var full = Path.Combine(directory, path);
                // Like the env files, some files the fixtures name were not copied with them (bridge's my-config.txt).
                return File.Exists(full) ? File.ReadAllText(full) : $"(not copied: {path})";
            },
            _ => "from-env"
        );

    [Fact]
    public void Runnable_fixtures_are_found()
    {
        Assert.True(Runnable.Count >= 15, $"{Runnable.Count} runnable fixtures");
    }

    /// <summary>
    /// Runnable fixtures whose replicas reach the plan and wait for an agent that allows more (by replica).
    /// </summary>
    private static readonly Dictionary<string, (string Replica, string Reason)> WaitingForAgent = new()
    {
        ["awesome-compose/wireguard.compose.yaml"] = (
            "wireguard-1",
            "no agent can take it: no agent allows capability SYS_MODULE; start an agent with --oci-allow-caps"
        ),
    };

    [Theory]
    [MemberData(nameof(Runnable))]
    public void A_fixture_that_needs_no_build_reaches_the_first_plan(string file)
    {
        var loaded = FixtureTests.Load(file, resolveEnvFiles: false);
        var (spec, errors) = Build(loaded, Path.GetDirectoryName(Path.Combine(Fixtures.ComposeDirectory, file))!);
        Assert.True(errors.Count == 0, string.Join("\n", errors));

        var plan = ServiceReconciler.Plan(new ServiceSnapshot(spec!, false, [], [Agent("a"), Agent("b")], Now));

        // Each replica is either started or waits for a dependency; nothing is placed nowhere.
        var decided = plan.Actions.Select(a => a.Name).ToHashSet();
        foreach (var service in spec!.Services)
        {
            foreach (var index in Enumerable.Range(1, service.Replicas))
                Assert.Contains($"{service.Name}-{index}", decided);
        }
        if (WaitingForAgent.TryGetValue(file, out var waiting))
        {
            var wait = Assert.Single(plan.Of<WaitReplica>(), w =>
                w.Reason.StartsWith("no agent", StringComparison.Ordinal)
            );
            Assert.Equal(waiting, (wait.Name, wait.Reason));
        }
        else
        {
            Assert.DoesNotContain(plan.Of<WaitReplica>(), w =>
                w.Reason.StartsWith("no agent", StringComparison.Ordinal)
            );
        }
        Assert.All(plan.Of<StartReplica>(), s =>
            Assert.DoesNotContain(spec.Services.Single(d => d.Name == s.Service).DependsOn, d =>
                d.Required && spec.Services.Any(x => x.Name == d.Service)
            )
        );
    }

    [Fact]
    public void A_service_maps_to_what_a_replica_runs()
    {
        var result = InMemory.Load(
            """
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
            """,
            new Dictionary<string, string> { ["/project/token.txt"] = "s3cret" }
        );
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(
            result.Project!,
            p => p.EndsWith("token.txt") ? "s3cret" : null,
            _ => null
        );
        Assert.Empty(errors);

        var db = spec!.Services.Single(s => s.Name == "db");
        Assert.Equal(["httpd", "-f"], db.Command);
        Assert.Equal((2, RestartMode.OnFailure, 4), (db.Replicas, db.Restart.Mode, db.Restart.MaxRetries));
        Assert.Equal(["/bin/sh", "-c", "wget -q -O- http://localhost/ || exit 1"], db.HealthCheck!.Test);
        Assert.Equal(
            (TimeSpan.FromSeconds(2), 5, TimeSpan.FromSeconds(30)),
            (db.HealthCheck.Interval, db.HealthCheck.Retries, db.HealthCheck.Timeout)
        );
        Assert.Equal((0.5, 64L << 20), (db.Cpus!.Value, db.MemoryBytes!.Value));
        Assert.Equal([new LabelConstraint("zone", "eu")], db.Constraints);
        Assert.Equal(
            [ServiceMountKind.Volume, ServiceMountKind.Bind, ServiceMountKind.Tmpfs],
            db.Mounts.Select(m => m.Kind)
        );
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
        var result = InMemory.Load(
            "services:\n  app: { build: . }\n  job: { image: busybox, deploy: { restart_policy: { condition: sometimes } } }\n"
        );
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
        var result = InMemory.Load(
            """
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
            """
        );
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");

        Assert.Null(spec);
        Assert.Equal(
            ["services.app.devices", "services.app.network_mode", "services.app.pid", "services.app.privileged"],
            errors.Select(e => e.Path).Order(StringComparer.Ordinal)
        );
        Assert.All(errors, e => Assert.Equal("compose.yaml", e.File));
        Assert.Equal(
            "Hearth does not support `privileged` (a replica never gets the host's privileges); remove it",
            errors.Single(e => e.Path == "services.app.privileged").Message
        );

        var quiet = InMemory.Load(
            "services:\n  quiet: { image: busybox, init: true, container_name: q, labels: { team: a }, "
                + "stop_signal: SIGTERM, expose: [ \"80\" ], pull_policy: if_not_present }\n"
        );
        var (built, none) = ProjectSpecBuilder.Build(quiet.Project!, _ => null, _ => null, "compose.yaml");
        Assert.Empty(none);
        Assert.Equal("missing", built!.Services.Single().Pull);
        Assert.Equal(
            ["services.quiet.container_name", "services.quiet.init", "services.quiet.labels"],
            ProjectSpecBuilder.Ignored(quiet.Project!).Select(w => w.Path).Order(StringComparer.Ordinal)
        );
    }

    [Fact]
    public void Capabilities_sysctls_user_working_dir_read_only_and_stop_signal_map_to_the_container_settings()
    {
        var result = InMemory.Load(
            """
            services:
              vpn:
                image: busybox
                cap_add: [ net_admin, CAP_SYS_MODULE, NET_ADMIN ]
                cap_drop: [ ALL ]
                sysctls: [ "net.ipv4.conf.all.src_valid_mark=1", "kernel.shmmax=65536" ]
                user: "nobody:nogroup"
                working_dir: /srv/./app/
                read_only: true
                stop_signal: quit
                stop_grace_period: 3s
              map:
                image: busybox
                sysctls: { net.core.somaxconn: 1024, fs/mqueue/msg_max: "20" }
                stop_signal: SIGTERM
              plain: { image: busybox }
            """
        );
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");
        Assert.Empty(errors);

        var vpn = spec!.Services.Single(s => s.Name == "vpn").Container!;
        Assert.Equal(["NET_ADMIN", "SYS_MODULE"], vpn.CapAdd);
        Assert.Equal(["ALL"], vpn.CapDrop);
        Assert.Equal(
            new Dictionary<string, string> { ["kernel.shmmax"] = "65536", ["net.ipv4.conf.all.src_valid_mark"] = "1" },
            vpn.Sysctls
        );
        Assert.Equal(("nobody:nogroup", "/srv/app", true), (vpn.User, vpn.WorkingDir, vpn.ReadOnlyRoot));
        Assert.Equal(("SIGQUIT", TimeSpan.FromSeconds(3)), (vpn.StopSignal, vpn.StopGracePeriod));
        var map = spec.Services.Single(s => s.Name == "map").Container!;
        Assert.Equal(
            new Dictionary<string, string> { ["fs.mqueue.msg_max"] = "20", ["net.core.somaxconn"] = "1024" },
            map.Sysctls
        );
        Assert.Null(map.StopSignal);
        // A service with none of them keeps the definition (and its hash) it had before they were honoured.
        Assert.Null(spec.Services.Single(s => s.Name == "plain").Container);
        Assert.Empty(ProjectSpecBuilder.Ignored(result.Project!));
    }

    [Fact]
    public void An_unknown_capability_a_host_wide_sysctl_and_bad_user_directory_and_signal_are_refused_naming_the_field()
    {
        var result = InMemory.Load(
            """
            services:
              app:
                image: busybox
                cap_add: [ NET_ADMIN, FLY ]
                cap_drop: [ CAP_NOPE ]
                sysctls: { vm.swappiness: 10, kernel.shmall: 5, kernel.hostname: x }
                user: "a:b:c"
                working_dir: relative/dir
                stop_signal: SIGNOPE
            """
        );
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");

        Assert.Null(spec);
        var byPath = errors.ToDictionary(e => e.Path, e => e.Message);
        Assert.Equal(
            [
                "services.app.cap_add",
                "services.app.cap_drop",
                "services.app.stop_signal",
                "services.app.sysctls.kernel.hostname",
                "services.app.sysctls.vm.swappiness",
                "services.app.user",
                "services.app.working_dir",
            ],
            byPath.Keys.Order(StringComparer.Ordinal)
        );
        Assert.Equal(
            "\"FLY\" is not a Linux capability (such as NET_ADMIN or CAP_SYS_TIME, or ALL)",
            byPath["services.app.cap_add"]
        );
        Assert.Equal(
            "Hearth does not set sysctl `vm.swappiness` (not namespaced: it would change the agent's host; only net.*, "
                + "kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* may be set)",
            byPath["services.app.sysctls.vm.swappiness"]
        );
        Assert.Contains("SIGNOPE", byPath["services.app.stop_signal"]);
    }

    [Fact]
    public void A_key_Hearth_does_not_know_is_refused_rather_than_dropped()
    {
        var result = InMemory.Load("services:\n  app: { image: busybox, mem_limit: 1g, pull_policy: daily }\n");
        var (_, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");

        Assert.Equal(
            ["services.app.mem_limit", "services.app.pull_policy"],
            errors.Select(e => e.Path).Order(StringComparer.Ordinal)
        );
        Assert.Contains("deploy.resources.limits", errors.Single(e => e.Path == "services.app.mem_limit").Message);
    }

    [Fact]
    public void Shm_size_in_bytes_or_with_a_unit_sizes_dev_shm_and_zero_is_the_default()
    {
        var result = InMemory.Load(
            """
            services:
              db: { image: busybox, shm_size: 256m, ipc: shareable }
              big: { image: busybox, shm_size: 1gb }
              exact: { image: busybox, shm_size: 1048576 }
              half: { image: busybox, shm_size: "1.5k" }
              zero: { image: busybox, shm_size: 0 }
              side: { image: busybox, ipc: "service:db" }
            """
        );
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(result.Project!, _ => null, _ => null, "compose.yaml");
        Assert.Empty(errors);

        long? Size(string name) => spec!.Services.Single(s => s.Name == name).Container?.ShmSizeBytes;
        Assert.Equal(256L << 20, Size("db"));
        Assert.Equal(1L << 30, Size("big"));
        Assert.Equal(1048576, Size("exact"));
        Assert.Equal(1536, Size("half"));
        // 0 is docker's default (64 MiB), as is no shm_size: no container settings, the definition's hash unchanged.
        Assert.Null(spec!.Services.Single(s => s.Name == "zero").Container);
        Assert.Null(spec.Services.Single(s => s.Name == "side").Container);
        Assert.Equal("db", spec.Services.Single(s => s.Name == "side").IpcOf);
    }

    [Fact]
    public void A_shm_size_that_is_not_a_size_or_beside_ipc_service_is_refused_naming_the_field()
    {
        var bad = InMemory.Load("services:\n  app: { image: busybox, shm_size: lots }\n");
        Assert.False(bad.Success);
        Assert.Equal(
            "services.app.shm_size must be an integer (bytes, or a number with b, k, m or g such as 256m or 1gb)",
            Assert.Single(bad.Errors).Message
        );

        var joined = InMemory.Load(
            "services:\n  db: { image: busybox }\n  side: { image: busybox, ipc: \"service:db\", shm_size: 1g }\n"
        );
        Assert.True(joined.Success, string.Join("\n", joined.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(joined.Project!, _ => null, _ => null, "compose.yaml");
        Assert.Null(spec);
        var error = Assert.Single(errors);
        Assert.Equal("services.side.shm_size", error.Path);
        Assert.Equal("the replicas use db's /dev/shm (ipc: service:db); set shm_size on db", error.Message);
    }
}
