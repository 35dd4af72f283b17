using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests;

/// <summary>
/// One loopback registry with a busybox image, one image store and one driver cache (the initramfs and the image's ext4
/// disk are built once) for every VM test: software-emulated boots are slow, so the suite boots few.
/// </summary>
public sealed class VmFixture : IAsyncLifetime
{
    private readonly List<string> _directories = [];

    public LocalRegistry Registry { get; private set; } = null!;

    public string Image => $"{Registry.Host}/test/vm-busybox:1";

    public ImageStore Store { get; private set; } = null!;

    public MicroVmDriverOptions Options { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        using var pusher = new ImagePusher(Registry.BaseUri);
        var tar = TarBuilder.Busybox();
        foreach (var applet in new[] { "uname", "nproc", "kill", "ps" })
            tar.Symlink($"bin/{applet}", "busybox");
        await pusher.PushImageAsync("test/vm-busybox", "1", [tar.Build()]);
        var client = new RegistryClient(
            new HttpClient(),
            new RegistryClientOptions(),
            new AnonymousCredentials(),
            TimeProvider.System
        );
        Store = new ImageStore(
            new ImageStoreOptions { RootDirectory = NewDirectory("hearth-vm-store") },
            client,
            TimeProvider.System
        );
        Options = new MicroVmDriverOptions { CacheDirectory = NewDirectory("hearth-vm-cache") };
    }

    public MicroVmDriver NewDriver() => new(Options, Store, TimeProvider.System);

    public string NewDirectory(string prefix)
    {
        // Short: the VM's control socket lives in the scratch directory and a socket path has at most 107 bytes.
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
