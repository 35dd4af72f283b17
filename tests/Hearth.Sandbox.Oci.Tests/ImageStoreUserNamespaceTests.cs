using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// The store keeps one tree per image and id range, unpacked from the same blobs; GC removes them all.
/// </summary>
[Collection(RegistryCollection.Name)]
public sealed class ImageStoreUserNamespaceTests(RegistryFixture fixture)
{
    private static readonly IdMapping First = new(100000, 65536);
    private static readonly IdMapping Second = new(300000, 65536);

    [Fact]
    public async Task A_pull_for_a_range_unpacks_only_that_ranges_tree_and_other_ranges_unpack_from_stored_blobs()
    {
        await fixture.Pusher.PushImageAsync(
            "test/ranges",
            "1",
            [TarBuilder.Busybox().File("etc/motd", "hi", uid: 5, gid: 6).Build()]
        );
        var reference = $"{fixture.Registry.Host}/test/ranges:1";
        var store = fixture.NewStore();

        var first = await store.PullAsync(reference, First, progress: null, CancellationToken.None);
        var imageDirectory = Path.GetDirectoryName(first.RootfsPath)!;
        Assert.Equal(Path.Combine(imageDirectory, "rootfs-100000-65536"), first.RootfsPath);
        Assert.Equal(["rootfs-100000-65536"], Trees(imageDirectory));
        Assert.Equal("100005:100006", await Tools.OwnerAsync(Path.Combine(first.RootfsPath, "etc/motd")));

        // Another range and the unshifted tree come from the stored layers: the registry is not asked (policy never).
        var second = await store.GetAsync(
            reference,
            ImagePullPolicy.Never,
            Second,
            progress: null,
            CancellationToken.None
        );
        var plain = await store.GetAsync(
            reference,
            ImagePullPolicy.Never,
            ids: null,
            progress: null,
            CancellationToken.None
        );
        Assert.Equal(["rootfs", "rootfs-100000-65536", "rootfs-300000-65536"], Trees(imageDirectory));
        Assert.Equal("300005:300006", await Tools.OwnerAsync(Path.Combine(second.RootfsPath, "etc/motd")));
        Assert.Equal("5:6", await Tools.OwnerAsync(Path.Combine(plain.RootfsPath, "etc/motd")));
        Assert.Equal("hi", await File.ReadAllTextAsync(Path.Combine(second.RootfsPath, "etc/motd")));
        Assert.Single(await store.ListAsync(CancellationToken.None));

        // Asking again reuses the tree: same inode, not unpacked anew.
        var inode = await Tools.RunAsync("stat", "-c", "%i", Path.Combine(second.RootfsPath, "etc/motd"));
        await store.GetAsync(reference, ImagePullPolicy.Never, Second, progress: null, CancellationToken.None);
        Assert.Equal(inode, await Tools.RunAsync("stat", "-c", "%i", Path.Combine(second.RootfsPath, "etc/motd")));

        Assert.Equal(1, await store.RemoveAsync(reference, CancellationToken.None));
        var gc = await store.CollectGarbageAsync(CancellationToken.None);
        Assert.Equal([first.ManifestDigest.ToString()], gc.RemovedImages);
        Assert.False(Directory.Exists(imageDirectory));
        Assert.Equal(3, gc.RemovedBlobs);
    }

    [Fact]
    public async Task A_leased_image_keeps_every_tree_through_gc()
    {
        await fixture.Pusher.PushImageAsync("test/ranges-leased", "1", [new TarBuilder().File("f", "f").Build()]);
        var reference = $"{fixture.Registry.Host}/test/ranges-leased:1";
        var store = fixture.NewStore();
        var shifted = await store.PullAsync(reference, First, progress: null, CancellationToken.None);
        var plain = await store.GetAsync(
            reference,
            ImagePullPolicy.Never,
            ids: null,
            progress: null,
            CancellationToken.None
        );
        await store.RemoveAsync(reference, CancellationToken.None);
        using (store.AcquireLease(shifted, "leaseholder"))
        {
            Assert.Empty((await store.CollectGarbageAsync(CancellationToken.None)).RemovedImages);
            Assert.True(File.Exists(Path.Combine(shifted.RootfsPath, "f")));
            Assert.True(File.Exists(Path.Combine(plain.RootfsPath, "f")));
        }
        Assert.Single((await store.CollectGarbageAsync(CancellationToken.None)).RemovedImages);
        Assert.False(Directory.Exists(shifted.RootfsPath));
        Assert.False(Directory.Exists(plain.RootfsPath));
    }

    [Fact]
    public async Task An_out_of_range_owner_fails_the_pull_for_that_range_and_tags_nothing()
    {
        await fixture.Pusher.PushImageAsync(
            "test/ranges-outsider",
            "1",
            [new TarBuilder().File("f", "f", uid: 100000).Build()]
        );
        var reference = $"{fixture.Registry.Host}/test/ranges-outsider:1";
        var store = fixture.NewStore();
        await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            store.PullAsync(reference, First, progress: null, CancellationToken.None)
        );
        Assert.Null(await store.FindAsync(reference, CancellationToken.None));
        // Unshifted, the same image is fine.
        var plain = await store.PullAsync(reference, progress: null, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(plain.RootfsPath, "f")));
    }

    private static string[] Trees(string imageDirectory) =>
        Directory
            .EnumerateDirectories(imageDirectory)
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .ToArray()!;
}
