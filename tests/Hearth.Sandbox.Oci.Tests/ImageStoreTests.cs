using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Registry;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

[Collection(RegistryCollection.Name)]
public sealed class ImageStoreTests(RegistryFixture fixture)
{
    [Theory]
    [InlineData("busybox")]
    [InlineData("umoci")]
    [InlineData("umoci-docker")]
    public async Task Pulls_and_unpacks_an_image(string name)
    {
        var store = fixture.NewStore();
        var reference = $"{fixture.Registry.Host}/test/{name}:1";
        var image = await store.PullAsync(reference, null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(image.RootfsPath, "bin/busybox")));
        Assert.Equal("busybox", new FileInfo(Path.Combine(image.RootfsPath, "bin/sh")).LinkTarget);
        Assert.Equal([reference], image.References);
        Assert.Equal(image.ManifestDigest, (await store.FindAsync(reference, CancellationToken.None))!.ManifestDigest);
        Assert.NotNull(await store.FindAsync(image.ManifestDigest.ToString(), CancellationToken.None));
        Assert.Null(await store.FindAsync($"{fixture.Registry.Host}/test/other:1", CancellationToken.None));
    }

    [Fact]
    public async Task Reports_progress_with_bytes_and_layers()
    {
        await fixture.Pusher.PushImageAsync(
            "test/layers",
            "1",
            [
                TarBuilder.Busybox().Build(),
                new TarBuilder().File("etc/motd", "hi").Build(),
                new TarBuilder().File("big", new string('x', 300_000)).Build(),
            ]
        );
        var store = fixture.NewStore();
        var events = new List<PullProgress>();
        var image = await store.PullAsync(
            $"{fixture.Registry.Host}/test/layers:1",
            new SyncProgress<PullProgress>(events.Add),
            CancellationToken.None
        );

        Assert.Equal(PullPhase.Resolved, events[0].Phase);
        Assert.Equal(3, events[0].LayerCount);
        var last = events[^1];
        Assert.Equal(PullPhase.Complete, last.Phase);
        Assert.Equal(3, last.LayersDone);
        Assert.Equal(image.Size, last.TotalSize);
        Assert.Equal(last.TotalSize, last.TotalBytes);
        Assert.Equal(3, events.Where(e => e.Phase == PullPhase.Downloaded).Select(e => e.Layer).Distinct().Count());
        Assert.Contains(events, e => e.Phase == PullPhase.Downloading && e.LayerBytes > 0);
        Assert.Equal(3, events.Count(e => e.Phase == PullPhase.Extracting));
        Assert.Equal("hi", File.ReadAllText(Path.Combine(image.RootfsPath, "etc/motd")));

        var again = new List<PullProgress>();
        await store.PullAsync(
            $"{fixture.Registry.Host}/test/layers:1",
            new SyncProgress<PullProgress>(again.Add),
            CancellationToken.None
        );
        Assert.Equal(3, again.Count(e => e.Phase == PullPhase.AlreadyExists));
        Assert.DoesNotContain(again, e => e.Phase == PullPhase.Downloading);
    }

    [Fact]
    public async Task Concurrent_pulls_of_one_image_share_one_download()
    {
        await fixture.Pusher.PushImageAsync(
            "test/shared",
            "1",
            [TarBuilder.Busybox().Build(), new TarBuilder().File("x", new string('y', 500_000)).Build()]
        );
        await using var proxy = new RegistryProxy(fixture.Registry, ProxyAuth.Bearer);
        var store = fixture.NewStore();
        var pulls = Enumerable
            .Range(0, 4)
            .Select(_ => store.PullAsync($"{proxy.Host}/test/shared:1", null, CancellationToken.None))
            .ToList();
        var images = await Task.WhenAll(pulls);
        Assert.Single(images.Select(i => i.ManifestDigest).Distinct());
        Assert.Equal(3, proxy.BlobGets.Count); // config + 2 layers
        Assert.All(proxy.BlobGets.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task A_layer_with_an_escape_fails_the_pull()
    {
        var evil = new TarBuilder().File("ok", "fine").Symlink("etc", "/etc").File("etc/hearth-pwned", "x").Build();
        await fixture.Pusher.PushImageAsync("test/evil", "1", [evil]);
        var store = fixture.NewStore();
        await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            store.PullAsync($"{fixture.Registry.Host}/test/evil:1", null, CancellationToken.None)
        );
        Assert.False(File.Exists("/etc/hearth-pwned"));
        Assert.Empty(await store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_layer_that_does_not_match_its_diff_id_is_refused()
    {
        // Push a layer whose config claims another layer's diff_id.
        var real = new TarBuilder().File("a", "a").Build();
        var pushed = await fixture.Pusher.PushImageAsync("test/diffid", "good", [real]);
        var other = await fixture.Pusher.PushImageAsync(
            "test/diffid",
            "other",
            [new TarBuilder().File("b", "b").Build()]
        );
        Assert.NotEqual(pushed.Digest, other.Digest);
        var blob = TarBuilder.Gzip(real);
        var layer = await fixture.Pusher.PushBlobAsync("test/diffid", blob, MediaTypes.OciLayerGzip);
        var config = System.Text.Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + ImagePusher.Sha256([1, 2, 3])
                + "\"]}}"
        );
        var configDescriptor = await fixture.Pusher.PushBlobAsync("test/diffid", config, MediaTypes.OciConfig);
        var manifest = new System.Text.Json.Nodes.JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = configDescriptor,
            ["layers"] = new System.Text.Json.Nodes.JsonArray(layer),
        };
        await fixture.Pusher.PushManifestAsync(
            "test/diffid",
            "bad",
            System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()),
            MediaTypes.OciManifest
        );
        var store = fixture.NewStore();
        await Assert.ThrowsAsync<DigestMismatchException>(() =>
            store.PullAsync($"{fixture.Registry.Host}/test/diffid:bad", null, CancellationToken.None)
        );
    }

    [Fact]
    public async Task Uncompressed_and_zstd_layers_unpack()
    {
        await fixture.Pusher.PushImageAsync(
            "test/plain",
            "1",
            [new TarBuilder().File("plain", "p").Build()],
            gzip: false
        );
        var store = fixture.NewStore();
        var image = await store.PullAsync($"{fixture.Registry.Host}/test/plain:1", null, CancellationToken.None);
        Assert.Equal("p", File.ReadAllText(Path.Combine(image.RootfsPath, "plain")));

        var tar = new TarBuilder().File("z", "zstd").Build();
        using var compressor = new ZstdSharp.Compressor();
        var zstd = compressor.Wrap(tar).ToArray();
        var layer = await fixture.Pusher.PushBlobAsync("test/zstd", zstd, MediaTypes.OciLayerZstd);
        var config = System.Text.Encoding.UTF8.GetBytes(
            "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + ImagePusher.Sha256(tar)
                + "\"]}}"
        );
        var manifest = new System.Text.Json.Nodes.JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = await fixture.Pusher.PushBlobAsync("test/zstd", config, MediaTypes.OciConfig),
            ["layers"] = new System.Text.Json.Nodes.JsonArray(layer),
        };
        await fixture.Pusher.PushManifestAsync(
            "test/zstd",
            "1",
            System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()),
            MediaTypes.OciManifest
        );
        var zimage = await store.PullAsync($"{fixture.Registry.Host}/test/zstd:1", null, CancellationToken.None);
        Assert.Equal("zstd", File.ReadAllText(Path.Combine(zimage.RootfsPath, "z")));
    }

    [Fact]
    public async Task Remove_then_gc_deletes_unused_images_but_keeps_leased_and_tagged_ones()
    {
        await fixture.Pusher.PushImageAsync("test/gc-a", "1", [new TarBuilder().File("a", "a").Build()]);
        await fixture.Pusher.PushImageAsync("test/gc-b", "1", [new TarBuilder().File("b", "b").Build()]);
        await fixture.Pusher.PushImageAsync("test/gc-c", "1", [new TarBuilder().File("c", "c").Build()]);
        var store = fixture.NewStore();
        var a = await store.PullAsync($"{fixture.Registry.Host}/test/gc-a:1", null, CancellationToken.None);
        var b = await store.PullAsync($"{fixture.Registry.Host}/test/gc-b:1", null, CancellationToken.None);
        var c = await store.PullAsync($"{fixture.Registry.Host}/test/gc-c:1", null, CancellationToken.None);
        Assert.Equal(3, (await store.ListAsync(CancellationToken.None)).Count);

        Assert.Equal(1, await store.RemoveAsync($"{fixture.Registry.Host}/test/gc-a:1", CancellationToken.None));
        Assert.Equal(1, await store.RemoveAsync(b.ManifestDigest.ToString(), CancellationToken.None));
        using (store.AcquireLease(b, "sandbox-1"))
        {
            var first = await store.CollectGarbageAsync(CancellationToken.None);
            Assert.Equal([a.ManifestDigest.ToString()], first.RemovedImages);
            Assert.Equal(3, first.RemovedBlobs); // manifest, config, layer of a
            Assert.True(first.ReclaimedBytes > 0);
            Assert.False(Directory.Exists(a.RootfsPath));
            Assert.True(Directory.Exists(b.RootfsPath));
        }
        var second = await store.CollectGarbageAsync(CancellationToken.None);
        Assert.Equal([b.ManifestDigest.ToString()], second.RemovedImages);
        var left = await store.ListAsync(CancellationToken.None);
        Assert.Equal([c.ManifestDigest], left.Select(i => i.ManifestDigest).ToArray());
        Assert.True(File.Exists(Path.Combine(c.RootfsPath, "c")));
    }
}
