using System.Diagnostics;
using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Networking;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// What the GitLab jobs that run in an image (oci, microvm) need beside <see cref="GitLabRig"/>: a loopback registry
/// with a busybox image (no git in it), a work directory, and a private bridge network of their own, removed at the
/// end.
/// </summary>
internal sealed class ImageJobRig : IAsyncDisposable
{
    private ImageJobRig(LocalRegistry registry, string busyboxRef, string work, OciNetworkOptions network) =>
        (Registry, BusyboxRef, Work, Network) = (registry, busyboxRef, work, network);

    public LocalRegistry Registry { get; }

    public string BusyboxRef { get; }

    public string Work { get; }

    public OciNetworkOptions Network { get; }

    /// <param name="repository">The busybox image's repository in the registry (tag 1).</param>
    /// <param name="name">Names the work directory, the bridge (a short prefix) and the nftables table.</param>
    public static async Task<ImageJobRig> StartAsync(string repository, string name, string bridgePrefix)
    {
        var registry = await LocalRegistry.StartAsync();
        using (var pusher = new ImagePusher(registry.BaseUri))
            await pusher.PushImageAsync(repository, "1", [TarBuilder.Busybox().Build()]);
        var work = Tools.TempDirectory("hearth-" + name);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var network = new OciNetworkOptions
        {
            BridgeName = bridgePrefix + tag,
            Subnet = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 255)}.0/24",
            NftTable = "hearth_" + name.Replace('-', '_') + "_" + tag,
            StateDirectory = Path.Combine(work, "network"),
            DnsServers = ["192.0.2.53"],
        };
        return new ImageJobRig(registry, $"{registry.Host}/{repository}:1", work, network);
    }

    /// <summary>An image store of its own under the work directory, pulling anonymously.</summary>
    public ImageStore NewImageStore() =>
        new(
            new ImageStoreOptions { RootDirectory = Path.Combine(Work, "images") },
            new RegistryClient(
                new HttpClient(),
                new RegistryClientOptions(),
                new AnonymousCredentials(),
                TimeProvider.System
            ),
            TimeProvider.System
        );

    public async ValueTask DisposeAsync()
    {
        await Registry.DisposeAsync();
        await TryAsync("ip", "link", "del", Network.BridgeName);
        await TryAsync("nft", "delete", "table", "ip", Network.NftTable);
        Directory.Delete(Work, recursive: true);
    }

    private static async Task TryAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
    }
}
