using Hearth.Sandbox;
using Hearth.Sandbox.Cgroups;
using Hearth.Sandbox.Running;

namespace Hearth.Sandbox.Tests;

/// <summary>
/// A sandbox without limits gets tracking cgroups (pids, freezer) that an earlier sandbox emptied, renamed into place
/// under its own id; one with limits always gets new ones. On this host's cgroup v1 hierarchies, with a parent of its
/// own.
/// </summary>
public sealed class TrackingCgroupReuseTests : SandboxTestBase, IDisposable
{
    private readonly string _parent = $"hearth-reuse-{Guid.NewGuid():N}";
    private readonly HashSet<string> _parents = [];

    private ProcessDriver NewDriver() =>
        new(
            new ProcessDriverOptions
            {
                Cgroups = new CgroupOptions { Mode = CgroupMode.V1, Parent = _parent },
            }
        );

    [Fact]
    public async Task An_emptied_tracking_cgroup_is_kept_and_the_next_sandbox_gets_it_under_its_own_name_with_nothing_left_in_it()
    {
        var driver = NewDriver();
        // The first leaves a background process behind; its end kills it, so its groups are empty and kept.
        var first = Spec() with { Command = ["sh", "-c", "sleep 1000 & echo started"] };
        string firstPids;
        var output = new CollectingOutput();
        await using (var sandbox = await driver.StartAsync(first, output, CancellationToken.None))
        {
            firstPids = Remember(Running(sandbox).Cgroup!).DirectoryOf("pids")!;
            await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        }
        var parent = Path.GetDirectoryName(firstPids)!;
        Assert.False(Directory.Exists(firstPids));
        var kept = Kept(parent);
        Assert.Single(kept);
        Assert.Empty(File.ReadAllLines(Path.Combine(kept[0], "cgroup.procs")));

        var second = Spec() with { Command = ["sh", "-c", "cat /proc/self/cgroup"] };
        await using (
            var sandbox = await driver.StartAsync(second, output = new CollectingOutput(), CancellationToken.None)
        )
        {
            var cgroup = Running(sandbox).Cgroup!;
            Assert.Equal(Path.Combine(parent, second.SandboxId), cgroup.DirectoryOf("pids"));
            Assert.Empty(Kept(parent));
            Assert.Equal(
                "THAWED",
                File.ReadAllText(Path.Combine(cgroup.DirectoryOf("freezer")!, "freezer.state")).Trim()
            );
            Assert.Equal("max", File.ReadAllText(Path.Combine(cgroup.DirectoryOf("pids")!, "pids.max")).Trim());
            Assert.Equal(0, (await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout)).ExitCode);
        }
        Assert.Contains(output.Of(OutputStream.Stdout), l =>
            l.EndsWith($"/{_parent}/{second.SandboxId}", StringComparison.Ordinal) && l.Contains(":pids:")
        );
        Assert.Single(Kept(parent));
    }

    [Fact]
    public async Task A_sandbox_with_limits_never_gets_a_kept_group_and_its_own_are_removed()
    {
        var driver = NewDriver();
        var (exit, _) = await RunAsync(driver, Spec("true"));
        Assert.Equal(0, exit.ExitCode);

        var limited = Spec("true") with { Limits = new ResourceLimits(Pids: 16) };
        var output = new CollectingOutput();
        string pids;
        await using (var sandbox = await driver.StartAsync(limited, output, CancellationToken.None))
        {
            pids = Remember(Running(sandbox).Cgroup!).DirectoryOf("pids")!;
            Assert.Equal("16", File.ReadAllText(Path.Combine(pids, "pids.max")).Trim());
            Assert.Single(Kept(Path.GetDirectoryName(pids)!));
            await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        }
        Assert.False(Directory.Exists(pids));
        Assert.Single(Kept(Path.GetDirectoryName(pids)!));
    }

    [Fact]
    public async Task A_new_agent_adopts_the_groups_a_stopped_one_kept_instead_of_leaving_them()
    {
        string parent;
        await using (
            var sandbox = await NewDriver().StartAsync(Spec("true"), new CollectingOutput(), CancellationToken.None)
        )
        {
            parent = Path.GetDirectoryName(Remember(Running(sandbox).Cgroup!).DirectoryOf("pids")!)!;
            await sandbox.WaitAsync(CancellationToken.None).WaitAsync(Timeout);
        }
        Assert.Single(Kept(parent));

        // Another driver on the same parent, as an agent restarted on this host.
        var (exit, _) = await RunAsync(NewDriver(), Spec("true"));

        Assert.Equal(0, exit.ExitCode);
        Assert.Single(Kept(parent));
    }

    private static string[] Kept(string parent) => Directory.GetDirectories(parent, IdleDirectories.Prefix + "*");

    private ICgroup Remember(ICgroup cgroup)
    {
        foreach (var directory in cgroup.Directories)
            _parents.Add(Path.GetDirectoryName(directory)!);
        return cgroup;
    }

    void IDisposable.Dispose()
    {
        // The driver's probe made the parent in every v1 hierarchy, below this process's own cgroup there.
        foreach (var line in File.ReadAllLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            foreach (var controller in parts[1].Split(',', StringSplitOptions.RemoveEmptyEntries))
                _parents.Add(Path.Join("/sys/fs/cgroup", controller, parts[2], _parent));
        }
        foreach (var parent in _parents.Where(Directory.Exists))
        {
            foreach (var child in Directory.GetDirectories(parent))
                Directory.Delete(child);
            Directory.Delete(parent);
        }
        Dispose();
    }
}
