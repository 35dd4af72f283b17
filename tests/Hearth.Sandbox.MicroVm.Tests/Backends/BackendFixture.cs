using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

/// <summary>
/// A loopback registry with a busybox image and an image store (the backends read the image's config); no VM boots.
/// </summary>
public sealed class BackendFixture : IAsyncLifetime
{
    private readonly List<string> _directories = [];

    public LocalRegistry Registry { get; private set; } = null!;

    public string Image => $"{Registry.Host}/test/backend-busybox:1";

    public ImageStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        using var pusher = new ImagePusher(Registry.BaseUri);
        await pusher.PushImageAsync("test/backend-busybox", "1", [TarBuilder.Busybox().Build()]);
        var client = new RegistryClient(
            new HttpClient(),
            new RegistryClientOptions(),
            new AnonymousCredentials(),
            TimeProvider.System
        );
        Store = new ImageStore(
            new ImageStoreOptions { RootDirectory = NewDirectory("hearth-be-store") },
            client,
            TimeProvider.System
        );
    }

    /// <summary>Short, under /tmp: vsock socket paths (uds_path_PORT) must fit in 107 bytes.</summary>
    public string NewDirectory(string prefix)
    {
        var directory = Path.Combine("/tmp", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        lock (_directories)
            _directories.Add(directory);
        return directory;
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        foreach (var directory in _directories)
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
    }
}
