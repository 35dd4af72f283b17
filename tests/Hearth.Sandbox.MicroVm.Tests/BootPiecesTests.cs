using Hearth.Sandbox.Oci.Tests.Support;

namespace Hearth.Sandbox.MicroVm.Tests;

/// <summary>The pieces a boot is made of, without booting: module order, the initramfs archive, QEMU's command line.</summary>
public sealed class BootPiecesTests : IDisposable
{
    private readonly string _root = Tools.TempDirectory("hearth-vm-pieces");

    [Fact]
    public void Modules_come_after_their_dependencies_and_built_in_ones_are_skipped()
    {
        var modules = Path.Combine(_root, "lib", "9.9.9-cloud-amd64");
        Directory.CreateDirectory(modules);
        File.WriteAllText(Path.Combine(modules, "modules.dep"), string.Join('\n',
            "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
            "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko",
            "kernel/drivers/virtio/virtio.ko:",
            "kernel/drivers/virtio/virtio_ring.ko:",
            "kernel/fs/unrelated.ko:"));
        File.WriteAllText(Path.Combine(modules, "modules.builtin"), "kernel/drivers/char/virtio_console.ko\n");
        var kernel = new GuestKernel("/boot/vmlinuz-9.9.9-cloud-amd64", "9.9.9-cloud-amd64", modules);

        Assert.Equal(
            new[] { "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_ring.ko", "kernel/drivers/virtio/virtio_mmio.ko", "kernel/drivers/block/virtio_blk.ko" },
            kernel.ModuleFiles());

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
        Assert.Equal(new[] { "bin", "bin/tool", "init" }, listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.Contains("blocks")));
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
        var argv = QemuArguments.Build("qemu", "tcg", kernel, "/cache/initramfs.cpio", new VmLayout("/s/vm1"), "/r/stdout", "/r/stderr", "/r/status",
            cpus: 3, memoryBytes: 384L << 20);
        Assert.Equal("3", argv[argv.ToList().IndexOf("-smp") + 1]);
        Assert.Equal("384M", argv[argv.ToList().IndexOf("-m") + 1]);
        Assert.Equal("tcg", argv[argv.ToList().IndexOf("-accel") + 1]);
        foreach (var port in new[] { "hearth.control", "hearth.stdout", "hearth.stderr", "hearth.status" })
            Assert.Contains($"virtserialport,chardev={port.Split('.')[1]},name={port}", argv);
        Assert.Contains("file,id=stdout,path=/r/stdout,append=on", argv);
        Assert.Contains("socket,id=control,path=/s/vm1/control.sock,server=on,wait=off", argv);
        Assert.Throws<ArgumentException>(() => Accelerator.Resolve("hvf"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
