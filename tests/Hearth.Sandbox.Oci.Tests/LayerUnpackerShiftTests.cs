using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

/// <summary>
/// Unpacking for a user namespace range: every owner is shifted by its base; ids beyond its size are refused.
/// </summary>
public sealed class LayerUnpackerShiftTests : IDisposable
{
    private static readonly IdMapping Range = new(200000, 65536);
    private readonly string _work = Tools.TempDirectory("hearth-unpack-shift");
    private readonly string _root;

    public LayerUnpackerShiftTests()
    {
        _root = Path.Combine(_work, "rootfs");
        Directory.CreateDirectory(_root);
    }

    [Fact]
    public async Task Owners_are_shifted_by_the_base_including_the_root_implied_directories_symlinks_and_hard_links()
    {
        await ApplyAsync(
            new TarBuilder()
                .Directory("home/app", uid: 1000, gid: 1000)
                .File("home/app/notes", "n", uid: 1000, gid: 50)
                .File("etc/passwd", "root:x:0:0::/:/bin/sh\n")
                .Symlink("home/app/link", "notes", uid: 1000, gid: 1000)
                .HardLink("home/app/same", "home/app/notes")
                .File("nobody", "", uid: 65534, gid: 65534)
        );

        Assert.Equal("200000:200000", await Tools.OwnerAsync(_root));
        // Implied by home/app, not listed.
        Assert.Equal("200000:200000", await Tools.OwnerAsync(Path.Combine(_root, "home")));
        Assert.Equal("201000:201000", await Tools.OwnerAsync(Path.Combine(_root, "home/app")));
        Assert.Equal("201000:200050", await Tools.OwnerAsync(Path.Combine(_root, "home/app/notes")));
        Assert.Equal("201000:200050", await Tools.OwnerAsync(Path.Combine(_root, "home/app/same")));
        Assert.Equal("201000:201000", await Tools.OwnerAsync(Path.Combine(_root, "home/app/link")));
        Assert.Equal("200000:200000", await Tools.OwnerAsync(Path.Combine(_root, "etc")));
        Assert.Equal("200000:200000", await Tools.OwnerAsync(Path.Combine(_root, "etc/passwd")));
        Assert.Equal("265534:265534", await Tools.OwnerAsync(Path.Combine(_root, "nobody")));
    }

    [Fact]
    public async Task Whiteouts_delete_and_an_opaque_directory_keeps_its_shifted_owner()
    {
        await ApplyAsync(new TarBuilder().Directory("d", uid: 7, gid: 7).File("d/old", "x").File("gone", "x"));
        await ApplyAsync(
            new TarBuilder()
                .File(".wh.gone", "")
                .File("d/.wh..wh..opq", "")
                .File("d/new", "y", uid: 8, gid: 8)
                .File("e/.wh.never", "")
        );

        Assert.False(File.Exists(Path.Combine(_root, "gone")));
        Assert.Equal(
            ["new"],
            Directory.EnumerateFileSystemEntries(Path.Combine(_root, "d")).Select(p => Path.GetFileName(p)!).ToArray()
        );
        Assert.Equal("200007:200007", await Tools.OwnerAsync(Path.Combine(_root, "d")));
        Assert.Equal("200008:200008", await Tools.OwnerAsync(Path.Combine(_root, "d/new")));
        // A directory a whiteout implies.
        Assert.Equal("200000:200000", await Tools.OwnerAsync(Path.Combine(_root, "e")));
    }

    [Theory]
    [InlineData(65536, 0, "uid 65536")]
    [InlineData(0, 70000, "gid 70000")]
    [InlineData(1_000_000, 1_000_000, "uid 1000000")]
    public async Task An_owner_outside_the_range_is_refused_with_the_entry_and_the_range(int uid, int gid, string named)
    {
        var error = await Assert.ThrowsAsync<UnsafeLayerException>(() =>
            ApplyAsync(new TarBuilder().File("etc/outsider", "x", uid: uid, gid: gid))
        );
        Assert.Contains(
            $"'etc/outsider' belongs to {named}, outside the user namespace's range (container ids 0-65535 map to host ids from 200000)",
            error.Message
        );
    }

    [Fact]
    public void Ids_cannot_be_shifted_without_applying_ownership() =>
        Assert.Throws<ArgumentException>(() => new LayerUnpacker(applyOwnership: false, Range));

    private async Task ApplyAsync(TarBuilder layer)
    {
        using var tar = new MemoryStream(layer.Build());
        await new LayerUnpacker(applyOwnership: true, Range).ApplyAsync(tar, _root, CancellationToken.None);
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
