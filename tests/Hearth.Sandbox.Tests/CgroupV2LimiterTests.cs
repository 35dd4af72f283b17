using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Tests;

/// <summary>
/// This host has no usable v2 controllers, so the v2 limiter is checked against a directory tree shaped like
/// cgroupfs: which files it writes, and with what.
/// </summary>
public sealed class CgroupV2LimiterTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"hearth-fake-cgroup2-{Guid.NewGuid():N}");

    [Fact]
    public async Task Writes_v2_limits_and_reads_oom_kills_from_memory_events()
    {
        var own = Path.Combine(_root, "agent.slice");
        var parent = Path.Combine(own, "hearth");
        foreach (var level in new[] { _root, own, parent })
        {
            Directory.CreateDirectory(level);
            await File.WriteAllTextAsync(Path.Combine(level, "cgroup.controllers"), "cpuset cpu io memory pids\n");
            await File.WriteAllTextAsync(Path.Combine(level, "cgroup.subtree_control"), "cpu memory pids\n");
        }
        await File.WriteAllTextAsync(Path.Combine(parent, "cgroup.kill"), "");
        var limiter = CgroupV2Limiter.Probe(
            new CgroupHierarchy(_root, own, []),
            new CgroupOptions(),
            TimeProvider.System
        );
        Assert.Equal(["cpu", "freezer", "memory", "pids"], limiter.Controllers.Order());

        var cgroup = limiter.Create("sbx-1", new ResourceLimits(Cpus: 1.5, MemoryBytes: 64 << 20, Pids: 32));

        var directory = Path.Combine(parent, "sbx-1");
        Assert.Equal([directory], cgroup.Directories);
        Assert.Equal("67108864", await File.ReadAllTextAsync(Path.Combine(directory, "memory.max")));
        Assert.Equal("32", await File.ReadAllTextAsync(Path.Combine(directory, "pids.max")));
        Assert.Equal("150000 100000", await File.ReadAllTextAsync(Path.Combine(directory, "cpu.max")));
        Assert.False(cgroup.OomKilled());
        await File.WriteAllTextAsync(
            Path.Combine(directory, "memory.events"),
            "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"
        );
        Assert.True(cgroup.OomKilled());
        Assert.Throws<SandboxStartException>(() => limiter.Create("sbx-1", ResourceLimits.None));
    }

    [Fact]
    public async Task A_parent_whose_controllers_cannot_be_enabled_makes_limits_fail_with_the_reason()
    {
        var own = Path.Combine(_root, "agent.slice");
        Directory.CreateDirectory(own);
        await File.WriteAllTextAsync(Path.Combine(_root, "cgroup.controllers"), "memory pids\n");
        await File.WriteAllTextAsync(Path.Combine(_root, "cgroup.subtree_control"), "memory pids\n");
        await File.WriteAllTextAsync(Path.Combine(own, "cgroup.controllers"), "memory pids\n");
        // The own cgroup offers no cpu and enables nothing below it.
        await File.WriteAllTextAsync(Path.Combine(own, "cgroup.subtree_control"), "");
        Directory.CreateDirectory(Path.Combine(own, "hearth"));
        await File.WriteAllTextAsync(Path.Combine(own, "hearth", "cgroup.controllers"), "");
        await File.WriteAllTextAsync(Path.Combine(own, "hearth", "cgroup.subtree_control"), "");

        var limiter = CgroupV2Limiter.Probe(
            new CgroupHierarchy(_root, own, []),
            new CgroupOptions(),
            TimeProvider.System
        );

        var error = Assert.Throws<SandboxStartException>(() => limiter.Create("sbx-2", new ResourceLimits(Cpus: 1)));
        Assert.Contains("cpu controller is unusable", error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
