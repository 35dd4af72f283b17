using Hearth.Sandbox.Oci.Images;
using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.Oci.Tests;

public sealed class LayerUnpackerTests : IDisposable
{
    private readonly string _work = Tools.TempDirectory("hearth-unpack");
    private readonly string _root;
    private readonly string _outside;

    public LayerUnpackerTests()
    {
        _root = Path.Combine(_work, "rootfs");
        _outside = Path.Combine(_work, "outside");
        Directory.CreateDirectory(_root);
        Directory.CreateDirectory(_outside);
        File.WriteAllText(Path.Combine(_outside, "victim"), "original");
    }

    [Fact]
    public async Task Applies_files_directories_symlinks_and_hard_links()
    {
        await ApplyAsync(
            new TarBuilder()
                .Directory("./usr/")
                .File("./usr/a.txt", "A")
                .Symlink("usr/link", "/etc/passwd")
                .HardLink("usr/b.txt", "usr/a.txt")
                .File("deep/er/file", "made parents")
        );
        Assert.Equal("A", File.ReadAllText(Path.Combine(_root, "usr/b.txt")));
        Assert.Equal("/etc/passwd", new FileInfo(Path.Combine(_root, "usr/link")).LinkTarget);
        Assert.True(File.Exists(Path.Combine(_root, "deep/er/file")));
    }

    [Fact]
    public async Task Whiteouts_and_opaque_directories_hide_lower_layers()
    {
        await ApplyAsync(
            new TarBuilder()
                .File("a/one", "1")
                .File("a/two", "2")
                .File("d/old", "x")
                .Directory("d/sub")
                .File("d/sub/deep", "y")
        );
        await ApplyAsync(
            new TarBuilder()
                .File("a/.wh.one", "")
                .File("d/new", "z")
                .File("d/.wh..wh..opq", "")
                .File("a/.wh.missing", "")
        );
        Assert.False(File.Exists(Path.Combine(_root, "a/one")));
        Assert.True(File.Exists(Path.Combine(_root, "a/two")));
        Assert.Equal(
            ["new"],
            Directory.EnumerateFileSystemEntries(Path.Combine(_root, "d")).Select(p => Path.GetFileName(p)!).ToArray()
        );
    }

    [Fact]
    public async Task A_later_file_replaces_a_symlink_instead_of_writing_through_it()
    {
        await ApplyAsync(new TarBuilder().Symlink("victim", Path.Combine(_outside, "victim")));
        await ApplyAsync(new TarBuilder().File("victim", "replaced"));
        Assert.Equal("original", File.ReadAllText(Path.Combine(_outside, "victim")));
        Assert.Equal("replaced", File.ReadAllText(Path.Combine(_root, "victim")));
    }

    public static TheoryData<string, TarBuilder> Hostile =>
        new()
        {
            { "dot-dot", new TarBuilder().File("../outside/victim", "pwned") },
            { "dot-dot-inside", new TarBuilder().File("a/../../outside/victim", "pwned") },
            { "absolute", new TarBuilder().File("/tmp/hearth-absolute-escape", "pwned") },
            { "symlink-dir", new TarBuilder().Symlink("esc", "../outside").File("esc/victim", "pwned") },
            {
                "symlink-absolute",
                new TarBuilder().Symlink("esc", "/").File("esc/tmp/hearth-absolute-escape", "pwned")
            },
            { "hardlink-dot-dot", new TarBuilder().HardLink("stolen", "../outside/victim") },
            { "hardlink-absolute", new TarBuilder().HardLink("stolen", "/etc/passwd") },
            {
                "hardlink-through-symlink",
                new TarBuilder().Symlink("esc", "../outside").HardLink("stolen", "esc/victim")
            },
            { "whiteout-through-symlink", new TarBuilder().Symlink("esc", "../outside").File("esc/.wh.victim", "") },
            { "opaque-through-symlink", new TarBuilder().Symlink("esc", "../outside").File("esc/.wh..wh..opq", "") },
        };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task Hostile_layers_are_refused_and_nothing_outside_changes(string name, TarBuilder layer)
    {
        Assert.NotEmpty(name);
        await Assert.ThrowsAsync<UnsafeLayerException>(() => ApplyAsync(layer));
        Assert.Equal("original", File.ReadAllText(Path.Combine(_outside, "victim")));
        Assert.Equal(
            ["victim"],
            Directory.EnumerateFileSystemEntries(_outside).Select(p => Path.GetFileName(p)!).ToArray()
        );
        Assert.False(File.Exists("/tmp/hearth-absolute-escape"));
        Assert.False(File.Exists(Path.Combine(_root, "stolen")));
    }

    private async Task ApplyAsync(TarBuilder layer)
    {
        using var tar = new MemoryStream(layer.Build());
        await new LayerUnpacker(applyOwnership: Environment.IsPrivilegedProcess).ApplyAsync(
            tar,
            _root,
            CancellationToken.None
        );
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
