using Hearth.Sandbox;

namespace Hearth.Sandbox.Tests;

public sealed class FingerprintTests
{
    [Fact]
    public void Bubblewrap_reports_its_version_and_the_working_cgroup_controllers()
    {
        var driver = new BubblewrapDriver();

        var fingerprint = driver.Fingerprint();

        Assert.True(fingerprint.Healthy, fingerprint.Reason);
        Assert.Matches(@"^\d+\.\d+\.\d+$", fingerprint.Attributes["driver.bubblewrap"]);
        Assert.Equal("v1", fingerprint.Attributes["cgroup"]);
        Assert.Equal("cpu,freezer,memory,pids", fingerprint.Attributes["cgroup.controllers"]);
        Assert.Equal(
            new DriverCapabilities(
                FilesystemIsolation.Namespaces,
                ["none", "host"],
                Ports: false,
                Signals: true,
                Exec: true,
                Recover: true,
                ["cpu", "memory", "pids"]
            ),
            driver.Capabilities
        );
        Assert.Equal("bubblewrap", driver.Name);
    }

    [Fact]
    public void Process_driver_is_honest_about_isolating_nothing_but_limits()
    {
        var driver = new ProcessDriver();

        var fingerprint = driver.Fingerprint();

        Assert.True(fingerprint.Healthy, fingerprint.Reason);
        Assert.Equal("1", fingerprint.Attributes["driver.process"]);
        Assert.Equal("v1", fingerprint.Attributes["cgroup"]);
        Assert.Equal(
            new DriverCapabilities(
                FilesystemIsolation.None,
                ["host"],
                Ports: false,
                Signals: true,
                Exec: false,
                Recover: false,
                ["cpu", "memory", "pids"]
            ),
            driver.Capabilities
        );
    }

    [Fact]
    public void A_missing_bwrap_makes_the_driver_unhealthy_and_process_the_default()
    {
        var missing = new BubblewrapDriver(new BubblewrapDriverOptions { BwrapPath = "/nonexistent/bwrap" });

        var fingerprint = missing.Fingerprint();

        Assert.False(fingerprint.Healthy);
        Assert.Contains("/nonexistent/bwrap", fingerprint.Reason);
        Assert.Equal("process", SandboxDrivers.ChooseDefault([missing, new ProcessDriver()]).Name);
    }

    [Fact]
    public void Bubblewrap_is_the_default_where_it_works()
    {
        var drivers = SandboxDrivers.CreateHostDrivers();

        Assert.Equal(["bubblewrap", "process"], drivers.Select(d => d.Name));
        Assert.Equal("bubblewrap", SandboxDrivers.ChooseDefault(drivers).Name);
    }
}
