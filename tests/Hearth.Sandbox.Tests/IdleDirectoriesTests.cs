using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

/// <summary>
/// Emptied directories kept under hidden names and renamed back into place, on the test machine's file system.
/// </summary>
public sealed class IdleDirectoriesTests : IDisposable
{
    private readonly string _parent = Directory.CreateTempSubdirectory("hearth-idle-").FullName;

    [Fact]
    public void A_kept_directory_is_renamed_to_the_next_name_asked_and_the_pool_never_grows_past_its_capacity()
    {
        var pool = new IdleDirectories(_parent, capacity: 2, noReplace: true);
        var names = Enumerable.Range(0, 3).Select(i => Path.Combine(_parent, $"task-{i}")).ToList();
        names.ForEach(n => Directory.CreateDirectory(n));

        Assert.Equal([true, true, false], names.Select(pool.TryKeep).ToList());
        Assert.Equal(2, Directory.GetDirectories(_parent, IdleDirectories.Prefix + "*").Length);
        Assert.True(Directory.Exists(names[2]));

        var next = Path.Combine(_parent, "task-next");
        Assert.True(pool.TryTake(next));
        Assert.True(Directory.Exists(next));
        Assert.Single(Directory.GetDirectories(_parent, IdleDirectories.Prefix + "*"));
        Assert.Equal(1, pool.Count);
    }

    [Fact]
    public void Taking_never_replaces_a_directory_already_at_the_target()
    {
        var pool = new IdleDirectories(_parent, capacity: 4, noReplace: true);
        var kept = Path.Combine(_parent, "kept");
        Directory.CreateDirectory(kept);
        File.WriteAllText(Path.Combine(kept, "marker"), "");
        Assert.True(pool.TryKeep(kept));
        var existing = Path.Combine(_parent, "existing");
        Directory.CreateDirectory(existing);

        Assert.False(pool.TryTake(existing));
        Assert.False(File.Exists(Path.Combine(existing, "marker")));
    }

    [Fact]
    public void A_new_pool_adopts_the_unused_directories_an_earlier_one_kept_up_to_its_capacity_and_removes_the_rest()
    {
        var earlier = new IdleDirectories(_parent, capacity: 8, noReplace: true);
        for (var i = 0; i < 3; i++)
        {
            var directory = Path.Combine(_parent, $"t{i}");
            Directory.CreateDirectory(directory);
            Assert.True(earlier.TryKeep(directory));
        }

        // Something was left in one of them meanwhile: that one is not adopted (and, not being empty, stays).
        var used = Directory.GetDirectories(_parent, IdleDirectories.Prefix + "*")[0];
        File.WriteAllText(Path.Combine(used, "left"), "x");

        var adopted = IdleDirectories.Adopt(_parent, capacity: 1, noReplace: true, unused: d =>
            !Directory.EnumerateFileSystemEntries(d).Any()
        );

        Assert.Equal(1, adopted.Count);
        Assert.Equal(2, Directory.GetDirectories(_parent, IdleDirectories.Prefix + "*").Length);
        Assert.True(File.Exists(Path.Combine(used, "left")));
        Assert.True(adopted.TryTake(Path.Combine(_parent, "again")));
        Assert.True(Directory.Exists(Path.Combine(_parent, "again")));
    }

    public void Dispose() => Directory.Delete(_parent, recursive: true);
}
