using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests;

/// <summary>
/// The pieces a boot is made of, without booting: module order, the initramfs archive, QEMU's command line.
/// </summary>
public sealed class BootPiecesTests : IDisposable
{
    private readonly string _root = Tools.TempDirectory("hearth-vm-pieces");

    [Fact]
    public void Modules_come_after_their_dependencies_and_built_in_ones_are_skipped()
    {
        var modules = Path.Combine(_root, "lib", "9.9.9-cloud-amd64");
        Directory.CreateDirectory(modules);
        File.WriteAllText(
            Path.Combine(modules, "modules.dep"),
            string.Join(
                '\n',
                "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
                "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
                "kernel/drivers/virtio/virtio.ko:",
                "kernel/drivers/virtio/virtio_ring.ko:",
                "kernel/fs/unrelated.ko:"
            )
        );
        File.WriteAllText(
            Path.Combine(modules, "modules.builtin"),
            "kernel/drivers/char/virtio_console.ko\nkernel/drivers/net/virtio_net.ko\n"
        );
        var kernel = new GuestKernel("/boot/vmlinuz-9.9.9-cloud-amd64", "9.9.9-cloud-amd64", modules);

        Assert.Equal(
            new[]
            {
                "kernel/drivers/virtio/virtio.ko",
                "kernel/drivers/virtio/virtio_ring.ko",
                "kernel/drivers/virtio/virtio_mmio.ko",
                "kernel/drivers/block/virtio_blk.ko",
            },
            kernel.ModuleFiles()
        );

        File.WriteAllText(Path.Combine(modules, "modules.builtin"), "");
        var missing = Assert.Throws<FileNotFoundException>(() => kernel.ModuleFiles());
        Assert.Contains("virtio_console", missing.Message);
    }

    [Fact]
    public async Task The_initramfs_archive_is_a_newc_cpio_the_tools_read()
    {
        var path = Path.Combine(_root, "test.cpio");
        using (var file = File.Create(path))
        {
            var cpio = new CpioWriter(file);
            cpio.Directory("bin");
            cpio.File("bin/tool", [1, 2, 3], executable: true);
            cpio.File("init", "#!/bin/sh\n"u8.ToArray(), executable: true);
            cpio.Finish();
        }
        var listing = await Tools.RunAsync("sh", "-c", $"busybox cpio -t < {path}");
        Assert.Equal(
            new[] { "bin", "bin/tool", "init" },
            listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("blocks"))
        );
        var extracted = Path.Combine(_root, "out");
        Directory.CreateDirectory(extracted);
        await Tools.RunAsync("sh", "-c", $"cd {extracted} && busybox cpio -i < {path}");
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(Path.Combine(extracted, "bin", "tool")));
        Assert.True(File.GetUnixFileMode(Path.Combine(extracted, "init")).HasFlag(UnixFileMode.UserExecute));
    }

    [Fact]
    public void Cpus_and_memory_become_smp_and_m_and_each_port_is_named()
    {
        var kernel = new GuestKernel("/boot/vmlinuz-x", "x", "/lib/modules/x");
        var argv = QemuArguments.Build(
            "qemu",
            "tcg",
            kernel,
            "/cache/initramfs.cpio",
            new VmLayout("/s/vm1"),
            "/r/stdout",
            "/r/stderr",
            "/r/status",
            cpus: 3,
            memoryBytes: 384L << 20
        );
        Assert.Equal("3", argv[argv.ToList().IndexOf("-smp") + 1]);
        Assert.Equal("384M", argv[argv.ToList().IndexOf("-m") + 1]);
        Assert.Equal("tcg", argv[argv.ToList().IndexOf("-accel") + 1]);
        foreach (var port in new[] { "hearth.control", "hearth.stdout", "hearth.stderr", "hearth.status" })
            Assert.Contains($"virtserialport,chardev={port.Split('.')[1]},name={port}", argv);
        foreach (var (id, port) in new[] { ("xout", "exec-stdout"), ("xerr", "exec-stderr"), ("xst", "exec-status") })
            Assert.Contains($"virtserialport,chardev={id},name=hearth.{port}", argv);
        Assert.DoesNotContain("-netdev", argv);
        var networked = QemuArguments.Build(
            "qemu",
            "tcg",
            kernel,
            "/c/i.cpio",
            new VmLayout("/s/vm1"),
            "/r/o",
            "/r/e",
            "/r/s",
            1,
            128L << 20,
            tap: "hvm0a1b2c3",
            mac: "52:54:00:0a:1b:2c"
        );
        Assert.Contains("tap,id=net0,ifname=hvm0a1b2c3,script=no,downscript=no", networked);
        Assert.Contains("virtio-net-device,netdev=net0,mac=52:54:00:0a:1b:2c", networked);
        Assert.Contains("file,id=stdout,path=/r/stdout,append=on", argv);
        Assert.Contains("socket,id=control,path=/s/vm1/control.sock,server=on,wait=off", argv);
        Assert.Throws<ArgumentException>(() => Accelerator.Resolve("hvf"));
    }

    [Fact]
    public void Size_classes_and_warm_pools_are_read_as_job_tags_write_them_and_bad_ones_say_what_is_expected()
    {
        Assert.Equal(new VmSizeClass(2, 4L << 30), VmSizeClass.Parse("2cpu-4gb"));
        Assert.Equal(new VmSizeClass(1, 512L << 20), VmSizeClass.Parse("1CPU-512MB"));
        Assert.Equal("2cpu-4gb", new VmSizeClass(2, 4L << 30).ToString());
        Assert.Equal("1cpu-1536mb", new VmSizeClass(1, 1536L << 20).ToString());
        Assert.Equal(new VmSizeClass(2, 256L << 20), VmSizeClass.Of(new ResourceLimits(Cpus: 1.5), 256L << 20));
        Assert.Contains(
            "expected vCPUs and memory such as 2cpu-512mb",
            Assert.Throws<FormatException>(() => VmSizeClass.Parse("2-4g")).Message
        );
        Assert.Contains("1 to 64 vCPUs", Assert.Throws<FormatException>(() => VmSizeClass.Parse("0cpu-1gb")).Message);

        Assert.Equal(
            new WarmPoolEntry(new VmSizeClass(2, 512L << 20), "127.0.0.1:5000/app:1", 3),
            WarmPoolEntry.Parse("2cpu-512mb=3@127.0.0.1:5000/app:1")
        );
        Assert.Contains(
            "expected SIZE=COUNT@IMAGE",
            Assert.Throws<FormatException>(() => WarmPoolEntry.Parse("2cpu-512mb@app")).Message
        );
        Assert.Contains(
            "from 1 to 64",
            Assert.Throws<FormatException>(() => WarmPoolEntry.Parse("2cpu-512mb=0@app")).Message
        );
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
