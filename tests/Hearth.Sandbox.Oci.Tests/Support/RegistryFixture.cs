using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;

namespace Hearth.Sandbox.Oci.Tests.Support;

/// <summary>
/// One registry for the test run, holding a busybox image pushed by Hearth's test pusher (OCI, gzip) and the
/// same rootfs pushed by umoci + skopeo in OCI and Docker schema 2 form.
/// </summary>
public sealed class RegistryFixture : IAsyncLifetime
{
    private readonly List<string> _directories = [];

    public LocalRegistry Registry { get; private set; } = null!;

    public ImagePusher Pusher { get; private set; } = null!;

    public string BusyboxRef => $"{Registry.Host}/test/busybox:1";

    public string UmociRef => $"{Registry.Host}/test/umoci:1";

    public string UmociDockerRef => $"{Registry.Host}/test/umoci-docker:1";

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        Pusher = new ImagePusher(Registry.BaseUri);
        var rootfs = TarBuilder.Busybox().Build();
        await Pusher.PushImageAsync("test/busybox", "1", [rootfs]);

        var work = NewDirectory("hearth-umoci");
        var tarPath = Path.Combine(work, "rootfs.tar");
        await File.WriteAllBytesAsync(tarPath, rootfs);
        var layout = Path.Combine(work, "layout");
        await Tools.RunAsync("umoci", "init", "--layout", layout);
        await Tools.RunAsync("umoci", "new", "--image", layout + ":bb");
        await Tools.RunAsync("umoci", "raw", "add-layer", "--image", layout + ":bb", tarPath);
        await Tools.RunAsync(
            "umoci",
            "config",
            "--image",
            layout + ":bb",
            "--config.cmd",
            "/bin/echo",
            "--config.cmd",
            "from-umoci"
        );
        await Tools.RunAsync(
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            $"oci:{layout}:bb",
            $"docker://{UmociRef}"
        );
        await Tools.RunAsync(
            "skopeo",
            "copy",
            "--quiet",
            "--format",
            "v2s2",
            "--dest-tls-verify=false",
            $"oci:{layout}:bb",
            $"docker://{UmociDockerRef}"
        );
    }

    public string NewDirectory(string prefix)
    {
        var directory = Tools.TempDirectory(prefix);
        lock (_directories)
            _directories.Add(directory);
        return directory;
    }

    public RegistryClient NewClient(ICredentialProvider? credentials = null, RegistryClientOptions? options = null) =>
        new(
            new HttpClient(),
            options ?? new RegistryClientOptions(),
            credentials ?? new AnonymousCredentials(),
            TimeProvider.System
        );

    public ImageStore NewStore(RegistryClient? client = null, string? root = null) =>
        new(
            new ImageStoreOptions { RootDirectory = root ?? NewDirectory("hearth-store") },
            client ?? NewClient(),
            TimeProvider.System
        );

    public async Task DisposeAsync()
    {
        Pusher.Dispose();
        await Registry.DisposeAsync();
        foreach (var directory in _directories)
            if (Directory.Exists(directory))
                Directory.Delete(directory, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class RegistryCollection : ICollectionFixture<RegistryFixture>
{
    public const string Name = "registry";
}
