using Hearth.Sandbox.Cgroups;

namespace Hearth.Sandbox.Tests;

public sealed class CgroupMountsTests
{
    [Fact]
    public void Reads_v1_hierarchies_including_co_mounted_controllers_and_the_own_cgroup()
    {
        var mounts = CgroupMounts.Parse(
            [
                "25 24 0:22 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755",
                "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct",
                "31 25 0:27 / /sys/fs/cgroup/memory rw,relatime shared:11 - cgroup cgroup rw,memory",
                "32 25 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids",
                "33 25 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw",
                "34 24 0:30 / /mnt/other rw - cgroup cgroup rw,freezer",
            ],
            ["4:memory:/agent/a1", "2:cpu,cpuacct:/", "3:pids:/", "5:freezer:/", "0::/"],
            "/sys/fs/cgroup"
        );

        Assert.Equal("/sys/fs/cgroup/memory/agent/a1", mounts.V1ByController["memory"].OwnDirectory);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", mounts.V1ByController["cpu"].OwnDirectory);
        Assert.Same(mounts.V1ByController["cpu"], mounts.V1ByController["cpuacct"]);
        Assert.Equal("/sys/fs/cgroup/pids", mounts.V1ByController["pids"].OwnDirectory);
        Assert.False(mounts.V1ByController.ContainsKey("freezer")); // mounted outside the mount root
        Assert.Equal("/sys/fs/cgroup/unified", mounts.V2!.OwnDirectory);
    }

    [Fact]
    public void Reads_a_pure_v2_host_and_a_namespaced_mount_root()
    {
        var mounts = CgroupMounts.Parse(
            ["29 23 0:26 /system.slice /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate"],
            ["0::/system.slice/hearth.service"],
            "/sys/fs/cgroup"
        );

        Assert.Empty(mounts.V1ByController);
        Assert.Equal("/sys/fs/cgroup/hearth.service", mounts.V2!.OwnDirectory);
    }

    [Fact]
    public void Cpu_quota_is_the_share_of_the_period_with_the_kernels_minimum()
    {
        Assert.Equal((150_000L, 100_000L), CpuQuota.Compute(1.5, TimeSpan.FromMilliseconds(100)));
        Assert.Equal((1_000L, 100_000L), CpuQuota.Compute(0.001, TimeSpan.FromMilliseconds(100)));
        Assert.Throws<SandboxStartException>(() => CpuQuota.Compute(0, TimeSpan.FromMilliseconds(100)));
        Assert.Throws<SandboxStartException>(() => CpuQuota.Compute(double.NaN, TimeSpan.FromMilliseconds(100)));
    }
}
