using Hearth.Sandbox.MicroVm.Firecracker;

namespace Hearth.Sandbox.MicroVm.Tests.Backends;

public sealed class MicroVmSettingsTests
{
    private static readonly MicroVmDriverOptions Defaults = new() { CacheDirectory = "/var/cache/hearth" };

    [Fact]
    public void Settings_choose_the_backend_and_its_pieces()
    {
        var options = MicroVmSettings.Apply(
            Defaults,
            [
                "backend=firecracker",
                "firecracker.binary=/opt/fc/firecracker",
                "firecracker.kernel=/opt/fc/vmlinux",
                "firecracker.boot-args=loglevel=3",
                "flintlock.endpoint=http://10.0.0.5:9090",
                "flintlock.kernel-image=ghcr.io/k:1",
                "flintlock.initrd-image=ghcr.io/i:1",
            ]
        );
        Assert.Equal("firecracker", options.Backend);
        Assert.Equal(
            new FirecrackerOptions
            {
                FirecrackerPath = "/opt/fc/firecracker",
                KernelPath = "/opt/fc/vmlinux",
                ExtraBootArgs = "loglevel=3",
            },
            options.Firecracker
        );
        Assert.Equal("http://10.0.0.5:9090", options.Flintlock.Endpoint);
        Assert.Equal("ghcr.io/k:1", options.Flintlock.KernelImage);
        Assert.Equal("ghcr.io/i:1", options.Flintlock.InitrdImage);
        Assert.Equal("hearth", options.Flintlock.Namespace);
        Assert.Equal("qemu", MicroVmSettings.Apply(Defaults, []).Backend);
        var pools = MicroVmSettings.Apply(Defaults, ["max-prewarmed=0", "workspace-disk=8g"]);
        Assert.Equal((0, 8L << 30), (pools.MaxPrewarmed, pools.WorkspaceDiskBytes));
        Assert.Equal(512L << 20, MicroVmSettings.Apply(Defaults, ["workspace-disk=512M"]).WorkspaceDiskBytes);
        Assert.Equal((2, 4L << 30), (Defaults.MaxPrewarmed, Defaults.WorkspaceDiskBytes));
    }

    [Theory]
    [InlineData("backend", "--microvm 'backend': expected KEY=VALUE, e.g. backend=firecracker")]
    [InlineData("backend=kvmtool", "--microvm backend=kvmtool: expected qemu, firecracker or flintlock")]
    [InlineData("firecracker.kernel=vmlinux", "--microvm firecracker.kernel=vmlinux: expected an absolute path")]
    [InlineData(
        "flintlock.endpoint=10.0.0.5:9090",
        "--microvm flintlock.endpoint=10.0.0.5:9090: expected flintlockd's gRPC address, e.g. http://127.0.0.1:9090"
    )]
    [InlineData(
        "flintlock.kernel=x",
        "--microvm 'flintlock.kernel': unknown setting; expected one of backend, firecracker.binary, "
            + "firecracker.kernel, firecracker.initrd, firecracker.boot-args, flintlock.endpoint, flintlock.namespace, flintlock.kernel-image, "
            + "flintlock.kernel-file, flintlock.initrd-image, flintlock.initrd-file, max-prewarmed, workspace-disk"
    )]
    [InlineData("max-prewarmed=-1", "--microvm max-prewarmed=-1: expected a number from 0 to 64")]
    [InlineData("workspace-disk=10", "--microvm workspace-disk=10: expected a size of at least 64m, e.g. 512m or 8g")]
    [InlineData("workspace-disk=32m", "--microvm workspace-disk=32m: expected a size of at least 64m, e.g. 512m or 8g")]
    public void A_bad_setting_is_refused_naming_it(string setting, string message) =>
        Assert.Equal(
            message,
            Assert.Throws<ArgumentException>(() => MicroVmSettings.Apply(Defaults, [setting])).Message
        );
}
