using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

/// <summary>
/// A sandbox's scratch directory is emptied after it and kept for a later one: the later one finds it empty, owned by
/// the agent, with mkdir's mode, under its own name; one the command replaced by a symlink is never kept.
/// </summary>
public sealed class ScratchReuseTests : SandboxTestBase
{
    [Theory]
    [InlineData("process")]
    [InlineData("bubblewrap")]
    public async Task The_next_sandbox_gets_an_emptied_directory_with_nothing_of_the_last_one(string name)
    {
        // The first sandbox sees a new directory (nothing is kept yet), then leaves it dirty.
        var (first, seen) = await RunAsync(
            Driver(name),
            Sh(
                "stat -c '%a %u' .; mkdir -p sub/deeper; echo secret > sub/deeper/f; echo top > .hidden; chmod 0700 sub; chmod 0711 ."
            )
        );
        Assert.Equal(0, first.ExitCode);
        var asNew = seen.Of(OutputStream.Stdout).Single();
        Assert.Single(Kept());

        var spec = Sh("pwd; ls -A; stat -c '%a %u' .");
        var (second, output) = await RunAsync(Driver(name), spec);

        Assert.Equal(0, second.ExitCode);
        var lines = output.Of(OutputStream.Stdout);
        // pwd, then no entry at all, then the mode and owner a new directory had.
        Assert.Equal(2, lines.Count);
        Assert.Equal(asNew, lines[1]);
        if (name == "process")
            Assert.Equal(Path.Combine(ScratchRoot, spec.SandboxId), lines[0]);
        Assert.Single(Kept());
    }

    [Fact]
    public async Task A_scratch_directory_replaced_by_a_symlink_is_removed_not_kept()
    {
        var target = Directory.CreateDirectory(Path.Combine(ScratchRoot, "elsewhere"));
        File.WriteAllText(Path.Combine(target.FullName, "keep-me"), "x");

        var (exit, _) = await RunAsync(
            Driver("process"),
            Sh($"d=$PWD; cd /; rmdir \"$d\" && ln -s {target.FullName} \"$d\"")
        );

        Assert.Equal(0, exit.ExitCode);
        Assert.Empty(Kept());
        Assert.True(File.Exists(Path.Combine(target.FullName, "keep-me")));
        var (next, output) = await RunAsync(Driver("process"), Sh("ls -A"));
        Assert.Equal(0, next.ExitCode);
        Assert.Empty(output.Of(OutputStream.Stdout));
    }

    private string[] Kept() => Directory.GetDirectories(ScratchRoot, IdleDirectories.Prefix + "*");
}
