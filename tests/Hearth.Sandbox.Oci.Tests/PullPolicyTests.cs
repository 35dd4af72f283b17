using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Runtime;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

[Collection(RegistryCollection.Name)]
public sealed class PullPolicyTests(RegistryFixture fixture)
{
    [Fact]
    public async Task Missing_uses_the_stored_tag_and_always_follows_the_registry()
    {
        var first = await fixture.Pusher.PushImageAsync(
            "test/moving",
            "1",
            [TarBuilder.Busybox().File("version", "1").Build()]
        );
        var reference = $"{fixture.Registry.Host}/test/moving:1";
        var store = fixture.NewStore();
        Assert.Equal(
            first.Digest,
            (
                await store.GetAsync(reference, ImagePullPolicy.Missing, null, CancellationToken.None)
            ).ManifestDigest.ToString()
        );

        var second = await fixture.Pusher.PushImageAsync(
            "test/moving",
            "1",
            [TarBuilder.Busybox().File("version", "2").Build()]
        );
        Assert.NotEqual(first.Digest, second.Digest);

        var cached = await store.GetAsync(reference, ImagePullPolicy.Missing, null, CancellationToken.None);
        Assert.Equal(first.Digest, cached.ManifestDigest.ToString());
        var fresh = await store.GetAsync(reference, ImagePullPolicy.Always, null, CancellationToken.None);
        Assert.Equal(second.Digest, fresh.ManifestDigest.ToString());
        Assert.Equal("2", await File.ReadAllTextAsync(Path.Combine(fresh.RootfsPath, "version")));
        // The tag now names the new image for later runs under the default policy too.
        Assert.Equal(
            second.Digest,
            (
                await store.GetAsync(reference, ImagePullPolicy.Missing, null, CancellationToken.None)
            ).ManifestDigest.ToString()
        );
    }

    [Fact]
    public async Task Missing_and_never_do_not_contact_the_registry_for_a_stored_tag()
    {
        await fixture.Pusher.PushImageAsync("test/offline", "1", [TarBuilder.Busybox().Build()]);
        var store = fixture.NewStore();
        string reference;
        await using (var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.None))
        {
            reference = $"{proxy.Host}/test/offline:1";
            await store.PullAsync(reference, null, CancellationToken.None);
        }
        // The registry is gone: a stored tag still runs, and only Always needs the registry.
        Assert.NotNull(await store.GetAsync(reference, ImagePullPolicy.Missing, null, CancellationToken.None));
        Assert.NotNull(await store.GetAsync(reference, ImagePullPolicy.Never, null, CancellationToken.None));
        var gone = await Assert.ThrowsAsync<RegistryException>(() =>
            store.GetAsync(reference, ImagePullPolicy.Always, null, CancellationToken.None)
        );
        Assert.StartsWith($"registry {reference.Split('/')[0]} unreachable", gone.Message);
        Assert.IsType<HttpRequestException>(gone.InnerException);
    }

    [Fact]
    public async Task Always_uses_a_stored_digest_reference_without_the_registry()
    {
        var pushed = await fixture.Pusher.PushImageAsync("test/pinned", "1", [TarBuilder.Busybox().Build()]);
        var store = fixture.NewStore();
        string pinned;
        await using (var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.None))
        {
            pinned = $"{proxy.Host}/test/pinned@{pushed.Digest}";
            await store.PullAsync(pinned, null, CancellationToken.None);
        }
        Assert.Equal(
            pushed.Digest,
            (
                await store.GetAsync(pinned, ImagePullPolicy.Always, null, CancellationToken.None)
            ).ManifestDigest.ToString()
        );
    }

    [Fact]
    public async Task Never_refuses_an_image_that_is_not_stored()
    {
        var store = fixture.NewStore();
        await Assert.ThrowsAsync<ImageNotStoredException>(() =>
            store.GetAsync(fixture.BusyboxRef, ImagePullPolicy.Never, null, CancellationToken.None)
        );

        var driver = new OciDriver(
            new OciDriverOptions { StateRoot = fixture.NewDirectory("hearth-runc-state") },
            store,
            TimeProvider.System
        );
        var spec = new SandboxSpec
        {
            SandboxId = $"pp{Guid.NewGuid():N}"[..16],
            Image = fixture.BusyboxRef,
            Command = ["true"],
            Pull = ImagePullPolicy.Never,
            ScratchRoot = fixture.NewDirectory("hearth-scratch"),
        };
        var failure = await Assert.ThrowsAsync<SandboxStartException>(() =>
            driver.StartAsync(spec, new CollectingOutput(), CancellationToken.None)
        );
        Assert.Contains("pull policy is never", failure.Message);

        // The default policy pulls what is missing.
        await using var sandbox = await driver.StartAsync(
            spec with
            {
                Pull = ImagePullPolicy.Missing,
            },
            new CollectingOutput(),
            CancellationToken.None
        );
        Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None)).ExitCode);
    }
}
