using Hearth.Sandbox.Oci.References;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

[Collection(RegistryCollection.Name)]
public sealed class RegistryClientTests(RegistryFixture fixture)
{
    private static readonly Platform Amd64 = new() { Architecture = "amd64" };

    [Fact]
    public async Task Resolves_an_oci_image_pushed_by_skopeo()
    {
        var resolved = await fixture
            .NewClient()
            .ResolveAsync(ImageReference.Parse(fixture.UmociRef), Amd64, CancellationToken.None);
        Assert.Equal(MediaTypes.OciManifest, resolved.ManifestMediaType);
        Assert.Single(resolved.Manifest.Layers);
        Assert.Equal(Digest.Sha256(resolved.ManifestBytes), resolved.ManifestDigest);
    }

    [Fact]
    public async Task Resolves_a_docker_schema2_image_pushed_by_skopeo()
    {
        var resolved = await fixture
            .NewClient()
            .ResolveAsync(ImageReference.Parse(fixture.UmociDockerRef), Amd64, CancellationToken.None);
        Assert.Equal(MediaTypes.DockerManifest, resolved.ManifestMediaType);
        Assert.Equal(MediaTypes.DockerLayerGzip, resolved.Manifest.Layers[0].MediaType);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Selects_the_platform_from_an_index_or_manifest_list(bool docker)
    {
        var arm = await fixture.Pusher.PushImageAsync(
            "test/multi",
            "arm",
            [new TarBuilder().File("arch", "arm64").Build()],
            docker: docker,
            architecture: "arm64"
        );
        var amd = await fixture.Pusher.PushImageAsync(
            "test/multi",
            "amd",
            [new TarBuilder().File("arch", "amd64").Build()],
            docker: docker
        );
        var tag = docker ? "list" : "index";
        var indexDigest = await fixture.Pusher.PushIndexAsync(
            "test/multi",
            tag,
            [(arm, "arm64"), (amd, "amd64")],
            docker
        );

        var client = fixture.NewClient();
        var reference = ImageReference.Parse($"{fixture.Registry.Host}/test/multi:{tag}");
        var resolved = await client.ResolveAsync(reference, Amd64, CancellationToken.None);
        Assert.Equal(amd.Digest, resolved.ManifestDigest.ToString());
        Assert.Equal(indexDigest, resolved.IndexDigest.ToString());

        var onArm = await client.ResolveAsync(
            reference,
            new Platform { Architecture = "arm64", Variant = "v8" },
            CancellationToken.None
        );
        Assert.Equal(arm.Digest, onArm.ManifestDigest.ToString());

        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            client.ResolveAsync(reference, new Platform { Architecture = "s390x" }, CancellationToken.None)
        );
        Assert.Contains("linux/s390x", error.Message);
    }

    [Fact]
    public async Task Resolves_by_digest_and_refuses_a_wrong_one()
    {
        var client = fixture.NewClient();
        var byTag = await client.ResolveAsync(ImageReference.Parse(fixture.BusyboxRef), Amd64, CancellationToken.None);
        var byDigest = await client.ResolveAsync(
            ImageReference.Parse($"{fixture.Registry.Host}/test/busybox@{byTag.ManifestDigest}"),
            Amd64,
            CancellationToken.None
        );
        Assert.Equal(byTag.ManifestDigest, byDigest.ManifestDigest);

        await Assert.ThrowsAsync<RegistryException>(() =>
            client.ResolveAsync(
                ImageReference.Parse($"{fixture.Registry.Host}/test/busybox@sha256:{new string('0', 64)}"),
                Amd64,
                CancellationToken.None
            )
        );
    }

    [Fact]
    public async Task Unknown_image_is_a_registry_error()
    {
        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            fixture
                .NewClient()
                .ResolveAsync(
                    ImageReference.Parse($"{fixture.Registry.Host}/test/missing:1"),
                    Amd64,
                    CancellationToken.None
                )
        );
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public async Task Bearer_token_auth_anonymous()
    {
        await using var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.Bearer);
        var resolved = await fixture
            .NewClient()
            .ResolveAsync(ImageReference.Parse($"{proxy.Host}/test/busybox:1"), Amd64, CancellationToken.None);
        Assert.Single(resolved.Manifest.Layers);
        Assert.Contains("repository:test/busybox:pull", proxy.TokenScopes);
    }

    [Fact]
    public async Task Bearer_token_auth_with_login_and_blob_download()
    {
        await using var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.Bearer, requireLoginForToken: true);
        var reference = ImageReference.Parse($"{proxy.Host}/test/busybox:1");
        await Assert.ThrowsAsync<RegistryAuthException>(() =>
            fixture.NewClient().ResolveAsync(reference, Amd64, CancellationToken.None)
        );

        var client = fixture.NewClient(Credentials(proxy.Host, RegistryProxy.Password));
        var resolved = await client.ResolveAsync(reference, Amd64, CancellationToken.None);
        var config = await client.GetBlobAsync(reference, resolved.Manifest.Config, CancellationToken.None);
        Assert.Contains("diff_ids", System.Text.Encoding.UTF8.GetString(config));
        Assert.Single(proxy.TokenScopes.Distinct());
    }

    [Fact]
    public async Task Basic_auth_uses_configured_credentials()
    {
        await using var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.Basic);
        var reference = ImageReference.Parse($"{proxy.Host}/test/busybox:1");
        await Assert.ThrowsAsync<RegistryAuthException>(() =>
            fixture.NewClient().ResolveAsync(reference, Amd64, CancellationToken.None)
        );
        await Assert.ThrowsAsync<RegistryAuthException>(() =>
            fixture.NewClient(Credentials(proxy.Host, "wrong")).ResolveAsync(reference, Amd64, CancellationToken.None)
        );

        var file = Path.Combine(fixture.NewDirectory("hearth-auth"), "config.json");
        var auth = Convert.ToBase64String(
            System.Text.Encoding.UTF8.GetBytes($"{RegistryProxy.User}:{RegistryProxy.Password}")
        );
        await File.WriteAllTextAsync(
            file,
            "{\"auths\":{\"http://" + proxy.Host + "/v2/\":{\"auth\":\"" + auth + "\"}}}"
        );
        var resolved = await fixture
            .NewClient(new DockerConfigCredentials(file))
            .ResolveAsync(reference, Amd64, CancellationToken.None);
        Assert.Single(resolved.Manifest.Layers);
    }

    [Fact]
    public async Task Corrupted_blob_fails_digest_verification()
    {
        await using var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.None) { CorruptBlobs = true };
        var reference = ImageReference.Parse($"{proxy.Host}/test/busybox:1");
        var client = fixture.NewClient();
        var resolved = await client.ResolveAsync(reference, Amd64, CancellationToken.None);
        var partial = Path.Combine(fixture.NewDirectory("hearth-blob"), "layer.partial");
        await Assert.ThrowsAsync<DigestMismatchException>(() =>
            client.DownloadBlobAsync(reference, resolved.Manifest.Layers[0], partial, null, CancellationToken.None)
        );
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task Broken_download_resumes_with_a_range_request()
    {
        await using var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.None);
        var reference = ImageReference.Parse($"{proxy.Host}/test/busybox:1");
        var client = fixture.NewClient();
        var resolved = await client.ResolveAsync(reference, Amd64, CancellationToken.None);
        var layer = resolved.Manifest.Layers[0];
        var partial = Path.Combine(fixture.NewDirectory("hearth-blob"), "layer.partial");
        proxy.CutNextBlobs(1);
        var reported = new List<long>();
        await client.DownloadBlobAsync(
            reference,
            layer,
            partial,
            new SyncProgress<long>(reported.Add),
            CancellationToken.None
        );
        Assert.Equal(layer.Size, new FileInfo(partial).Length);
        Assert.Equal(layer.Digest, ImagePusher.Sha256(await File.ReadAllBytesAsync(partial)));
        Assert.Single(proxy.RangeRequests);
        Assert.Equal(layer.Size, reported[^1]);
    }

    [Fact]
    public async Task Mirror_is_tried_before_the_registry()
    {
        await using var mirror = new RegistryProxy(fixture.Registry, ProxyAuth.None);
        var options = new RegistryClientOptions
        {
            Mirrors = new Dictionary<string, IReadOnlyList<Uri>>
            {
                ["registry.invalid:5000"] = [new Uri("http://127.0.0.1:1/"), new Uri($"http://{mirror.Host}/")],
            },
        };
        var client = fixture.NewClient(options: options);
        var reference = ImageReference.Parse("registry.invalid:5000/test/busybox:1");
        var resolved = await client.ResolveAsync(reference, Amd64, CancellationToken.None);
        await client.GetBlobAsync(reference, resolved.Manifest.Config, CancellationToken.None);
        Assert.Single(mirror.BlobGets);
    }

    private static StaticCredentials Credentials(string host, string password) =>
        new(new Dictionary<string, RegistryCredentials> { [host] = new(RegistryProxy.User, password) });
}
