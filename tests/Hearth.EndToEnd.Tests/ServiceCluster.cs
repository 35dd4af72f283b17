using System.Text.Json.Nodes;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.EndToEnd.Tests;

/// <summary>
/// One server and one agent (the oci and buildah drivers, binds allowed under <see cref="Work"/>) with busybox in a
/// loopback registry, shared by the compose classes that need no more than that: the cluster is started once for them
/// all instead of once per class. Each class brings up a project of its own name from a directory of its own
/// (<see cref="DirectoryFor"/>) and brings it down again; the classes of the collection run one after the other.
/// </summary>
public sealed class ServiceCluster : IAsyncLifetime
{
    public LocalRegistry Registry { get; private set; } = null!;
    public HearthCluster Cluster { get; private set; } = null!;

    /// <summary>The agent's --bind-root: every class's directory is under it.</summary>
    public string Work { get; private set; } = null!;

    /// <summary>busybox, with httpd, wget and nslookup linked.</summary>
    public string Image => $"{Registry.Host}/e2e/busybox:1";

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        Work = Tools.TempDirectory("hearth-e2e-services");
        var rootfs = TarBuilder
            .Busybox()
            .Symlink("bin/httpd", "busybox")
            .Symlink("bin/wget", "busybox")
            .Symlink("bin/nslookup", "busybox")
            .Build();
        using (var pusher = new ImagePusher(Registry.BaseUri))
        {
            await pusher.PushImageAsync(
                "e2e/busybox",
                "1",
                [rootfs],
                new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") }
            );
        }
        Cluster = await HearthCluster.StartAsync();
        await Cluster.StartAgentAsync(capacity: 16, drivers: "oci,buildah", extraArgs: ["--bind-root", Work]);
    }

    /// <summary>A fresh directory of the class's own under <see cref="Work"/>.</summary>
    public string DirectoryFor(string name) => Directory.CreateDirectory(Path.Combine(Work, name)).FullName;

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Registry.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ServiceClusterCollection : ICollectionFixture<ServiceCluster>
{
    public const string Name = "one server and agent for compose projects";
}
