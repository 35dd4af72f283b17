using Hearth.Compose.Deployment;
using Hearth.Core.Services;

namespace Hearth.Compose.Tests;

/// <summary>
/// network_mode, ipc and volumes_from as the desired state `hearth up` sends, and what is refused of them.
/// </summary>
public sealed class ServiceSharingTests
{
    private static (ProjectSpec? Spec, IReadOnlyList<string> Errors) Build(string yaml)
    {
        var loaded = InMemory.Load(yaml);
        Assert.True(loaded.Success, string.Join("\n", loaded.Errors));
        var (spec, errors) = ProjectSpecBuilder.Build(loaded.Project!, _ => null, _ => null, "compose.yaml");
        return (spec, [.. errors.Select(e => $"{e.Path}: {e.Message}").Order(StringComparer.Ordinal)]);
    }

    [Fact]
    public void Namespaces_and_volumes_shared_with_a_service_reach_the_definition()
    {
        var (spec, errors) = Build(
            """
            services:
              web:
                image: busybox
                ports: [ "8080:80" ]
                volumes: [ "data:/data", "/srv/conf:/conf:ro", "cache:/cache" ]
                tmpfs: [ /tmp ]
                ipc: shareable
              sidecar:
                image: busybox
                network_mode: "service:web"
                ipc: "service:web"
                volumes_from: [ "web:ro" ]
                volumes: [ "own:/cache" ]
              isolated: { image: busybox, network_mode: none, ipc: private, volumes_from: [ web ] }
            volumes: { data: {}, cache: {}, own: {} }
            """
        );
        Assert.Empty(errors);
        var sidecar = spec!.Services.Single(s => s.Name == "sidecar");
        Assert.Equal(("service:web", "web", "web"), (sidecar.NetworkMode, sidecar.NetworkOf, sidecar.IpcOf));
        Assert.Equal(["web"], sidecar.VolumesFrom);
        Assert.Empty(sidecar.Networks);
        // Its own /cache wins; web's volume and bind come read-only (:ro); web's tmpfs is not shared.
        Assert.Equal(
            [
                (ServiceMountKind.Volume, "own", "/cache", false),
                (ServiceMountKind.Volume, "data", "/data", true),
                (ServiceMountKind.Bind, "/srv/conf", "/conf", true),
            ],
            sidecar.Mounts.Select(m => (m.Kind, m.Source, m.Target, m.ReadOnly))
        );

        var isolated = spec.Services.Single(s => s.Name == "isolated");
        Assert.Equal(("none", null, null), (isolated.NetworkMode, isolated.NetworkOf, isolated.IpcOf));
        Assert.Empty(isolated.Networks);
        // Without a mode each mount keeps web's own.
        Assert.Equal([false, true, false], isolated.Mounts.Select(m => m.ReadOnly));
        Assert.Null(spec.Services.Single(s => s.Name == "web").IpcOf);
    }

    [Fact]
    public void What_cannot_be_shared_is_refused_naming_the_key_and_why()
    {
        var (spec, errors) = Build(
            """
            services:
              web: { image: busybox }
              a: { image: busybox, network_mode: host, ipc: host }
              b: { image: busybox, network_mode: "container:db", volumes_from: [ "container:db", "web:rx" ] }
              c:
                image: busybox
                network_mode: "service:web"
                ports: [ "80:80" ]
                hostname: c
                deploy: { replicas: 2 }
              d: { image: busybox, network_mode: "service:e" }
              e: { image: busybox, ipc: "service:d" }
            """
        );
        Assert.Null(spec);
        Assert.Equal(
            [
                "services.a.ipc: Hearth does not support `ipc: host`: replicas never share their agent's IPC namespace",
                "services.a.network_mode: Hearth does not support `network_mode: host`: replicas never share their agent's network; "
                    + "publish ports instead",
                "services.b.network_mode: Hearth does not support `network_mode: container:db`: it names a container outside the "
                    + "project; use service:NAME",
                "services.b.volumes_from: \"container:db\": Hearth does not support volumes from a container outside the project; "
                    + "use SERVICE[:ro|:rw]",
                "services.b.volumes_from: \"web:rx\": expected SERVICE, SERVICE:ro or SERVICE:rw",
                "services.c.deploy.replicas: 2 replicas, but web has 1: replica i of c shares with web's replica i, on its agent",
                "services.c.hostname: a hostname cannot be set with network_mode: service:web; the replica has web's",
                "services.c.ports: ports cannot be published with network_mode: service:web; publish them on web",
                "services.d: service d shares namespaces or volumes in a cycle (network_mode, ipc, volumes_from): none of them could start",
                "services.e: service e shares namespaces or volumes in a cycle (network_mode, ipc, volumes_from): none of them could start",
            ],
            errors
        );
    }
}
