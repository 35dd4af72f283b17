using System.Security.Cryptography;
using System.Text;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// Hearth's initramfs for a guest kernel: a static busybox, the kernel's virtio modules in load order, the initramfs
/// init (load them, mount the task's disk, hand over) and the guest init (the task protocol, run from a tmpfs at
/// /.hearth on the task's root). Nothing of Hearth's is written into the image's disk. Built once per kernel, busybox
/// and script version, kept in the cache directory.
/// </summary>
internal static class BootImage
{
    public static string Ensure(string cacheDirectory, GuestKernel kernel, string busyboxPath)
    {
        var busybox = File.ReadAllBytes(busyboxPath);
        var modules = kernel.ModuleFiles();
        var initramfsInit = Resource("initramfs-init.sh");
        var guestInit = Resource("guest-init.sh");
        var key = new StringBuilder()
            .Append(kernel.Version)
            .Append('\n')
            .Append(string.Join(',', modules))
            .Append('\n')
            .Append(Convert.ToHexString(SHA256.HashData(busybox)))
            .Append('\n')
            .Append(initramfsInit)
            .Append(guestInit);
        var hash = Convert
            .ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..16]
            .ToLowerInvariant();
        var path = Path.Combine(cacheDirectory, $"initramfs-{kernel.Version}-{hash}.cpio");
        if (File.Exists(path))
            return path;

        Directory.CreateDirectory(cacheDirectory);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        using (var file = File.Create(temporary))
        {
            var cpio = new CpioWriter(file);
            foreach (var directory in new[] { "bin", "dev", "proc", "sys", "newroot", "modules" })
                cpio.Directory(directory);
            cpio.File("bin/busybox", busybox, executable: true);
            cpio.File("init", Encoding.UTF8.GetBytes(initramfsInit), executable: true);
            cpio.File("guest-init", Encoding.UTF8.GetBytes(guestInit), executable: false);
            foreach (var module in modules)
                cpio.File(
                    "modules/" + Path.GetFileName(module),
                    File.ReadAllBytes(Path.Combine(kernel.ModulesDirectory, module)),
                    executable: false
                );
            cpio.File(
                "modules/order",
                Encoding.UTF8.GetBytes(string.Concat(modules.Select(m => Path.GetFileName(m) + "\n"))),
                executable: false
            );
            cpio.Finish();
        }
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    internal static string Resource(string name)
    {
        using var stream = typeof(BootImage).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"resource {name} missing from the microvm driver");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
