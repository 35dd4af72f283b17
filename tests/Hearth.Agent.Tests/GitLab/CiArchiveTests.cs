using System.IO.Compression;
using Hearth.Agent.GitLab;

namespace Hearth.Agent.Tests.GitLab;

/// <summary>
/// What a GitLab job's artifacts and cache select from its project directory, and what unzipping may write.
/// </summary>
public sealed class CiArchiveTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("hearth-ci-archive-").FullName;

    private string Project => Path.Combine(_root, "project");

    public CiArchiveTests()
    {
        foreach (
            var file in new[] { "a.txt", "b.log", "build/x.txt", "build/y.log", "build/deep/z.txt", "docs/readme.md" }
        )
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Project, file))!);
            File.WriteAllText(Path.Combine(Project, file), file);
        }
        Directory.CreateDirectory(Path.Combine(_root, "outside"));
        File.WriteAllText(Path.Combine(_root, "outside", "secret.txt"), "secret");
        File.CreateSymbolicLink(Path.Combine(Project, "build", "link"), Path.Combine(_root, "outside"));
        File.CreateSymbolicLink(Path.Combine(Project, "file-link.txt"), Path.Combine(_root, "outside", "secret.txt"));
    }

    [Theory]
    [InlineData(new[] { "build/" }, new string[0], new[] { "build/deep/z.txt", "build/x.txt", "build/y.log" })]
    [InlineData(new[] { "build" }, new[] { "**/*.log" }, new[] { "build/deep/z.txt", "build/x.txt" })]
    [InlineData(new[] { "*.txt" }, new string[0], new[] { "a.txt" })]
    [InlineData(new[] { "**/*.txt" }, new[] { "build/deep" }, new[] { "a.txt", "build/x.txt" })]
    [InlineData(new[] { "." }, new[] { "build/", "docs/*" }, new[] { "a.txt", "b.log" })]
    public void Paths_are_globs_a_matched_directory_comes_whole_excludes_win_and_links_are_never_taken(
        string[] paths,
        string[] exclude,
        string[] expected
    )
    {
        Assert.Equal(expected, CiArchive.Select(Project, paths, exclude, untrackedBesides: null));
    }

    [Fact]
    public void Untracked_adds_every_file_git_did_not_check_out()
    {
        var tracked = new HashSet<string>(["a.txt", "build/x.txt", "build/y.log", "build/deep/z.txt"]);
        Assert.Equal(["b.log", "docs/readme.md"], CiArchive.Select(Project, [], [], tracked));
    }

    [Fact]
    public void A_zip_round_trips_and_an_entry_through_a_link_or_outside_is_refused_before_it_is_written()
    {
        var zip = Path.Combine(_root, "a.zip");
        CiArchive.Write(Project, ["a.txt", "build/deep/z.txt"], zip);
        var target = Path.Combine(_root, "target");
        Directory.CreateDirectory(target);
        Assert.Equal(2, CiArchive.Extract(zip, target));
        Assert.Equal("build/deep/z.txt", File.ReadAllText(Path.Combine(target, "build", "deep", "z.txt")));

        var evil = Path.Combine(_root, "evil.zip");
        using (var archive = ZipFile.Open(evil, ZipArchiveMode.Create))
        using (var writer = new StreamWriter(archive.CreateEntry("build/link/planted.txt").Open()))
            writer.Write("planted");
        var error = Assert.Throws<InvalidDataException>(() => CiArchive.Extract(evil, Project));
        Assert.Equal(
            "zip entry 'build/link/planted.txt' would be written through the symbolic link build/link",
            error.Message
        );
        Assert.False(File.Exists(Path.Combine(_root, "outside", "planted.txt")));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
