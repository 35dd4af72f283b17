namespace Hearth.Sandbox;

/// <summary>The host drivers this library provides and how the default is picked.</summary>
public static class SandboxDrivers
{
    /// <summary>bubblewrap then process, sharing cgroup and launcher settings.</summary>
    public static IReadOnlyList<ISandboxDriver> CreateHostDrivers(
        CgroupOptions? cgroups = null,
        LauncherOptions? launcher = null,
        TimeProvider? time = null
    )
    {
        cgroups ??= new CgroupOptions();
        launcher ??= new LauncherOptions();
        return
        [
            new BubblewrapDriver(new BubblewrapDriverOptions { Cgroups = cgroups, Launcher = launcher }, time),
            new ProcessDriver(new ProcessDriverOptions { Cgroups = cgroups, Launcher = launcher }, time),
        ];
    }

    /// <summary>
    /// The driver used when a run names none: bubblewrap where its fingerprint is healthy, else process.
    /// Drivers other than these two are never picked by default.
    /// </summary>
    public static ISandboxDriver ChooseDefault(IEnumerable<ISandboxDriver> drivers)
    {
        var list = drivers.ToList();
        foreach (var name in new[] { "bubblewrap", "process" })
        {
            if (list.FirstOrDefault(d => d.Name == name) is { } driver && driver.Fingerprint().Healthy)
            {
                return driver;
            }
        }
        throw new InvalidOperationException("neither the bubblewrap nor the process driver can run on this host");
    }
}
