using System.Security.Cryptography;
using System.Text;

namespace Hearth.Sandbox.MicroVm.Vsock;

/// <summary>
/// Hearth's initramfs for a vsock guest (Firecracker's kernels build their drivers in, so no modules are loaded): the
/// same initramfs and guest init as the QEMU path, a static busybox, and socat with its shared libraries and loader
/// under <c>/vsock</c> (busybox has no AF_VSOCK), which the initramfs copies to <c>/.hearth/vsock</c> on the task's
/// root. The guest init takes the vsock channel when the kernel command line says <c>hearth.channel=vsock</c>.
/// Built once per busybox, socat and script version, kept in the cache directory.
/// </summary>
internal static class VsockBootImage
{
    public static async Task<string> EnsureAsync(
        string cacheDirectory,
        string busyboxPath,
        string socatPath,
        CancellationToken cancellationToken
    )
    {
        if (!File.Exists(busyboxPath))
            throw new FileNotFoundException($"no static busybox at {busyboxPath} (install busybox-static)");
        if (!File.Exists(socatPath))
            throw new FileNotFoundException($"no socat at {socatPath} (install socat): the guest's vsock relay");
        var libraries = await LibrariesAsync(socatPath, cancellationToken);
        var busybox = await File.ReadAllBytesAsync(busyboxPath, cancellationToken);
        var socat = await File.ReadAllBytesAsync(socatPath, cancellationToken);
        var initramfsInit = BootImage.Resource("initramfs-init.sh");
        var guestInit = BootImage.Resource("guest-init.sh");
        var key = new StringBuilder()
            .Append(Convert.ToHexString(SHA256.HashData(busybox)))
            .Append(Convert.ToHexString(SHA256.HashData(socat)))
            .Append(string.Join(',', libraries.Select(l => l + ":" + File.GetLastWriteTimeUtc(l).Ticks)))
            .Append(initramfsInit)
            .Append(guestInit);
        var hash = Convert
            .ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..16]
            .ToLowerInvariant();
        var path = Path.Combine(cacheDirectory, $"initramfs-vsock-{hash}.cpio");
        if (File.Exists(path))
            return path;

        Directory.CreateDirectory(cacheDirectory);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var file = File.Create(temporary))
        {
            var cpio = new CpioWriter(file);
            foreach (var directory in new[] { "bin", "dev", "proc", "sys", "newroot", "modules", "vsock" })
                cpio.Directory(directory);
            cpio.File("bin/busybox", busybox, executable: true);
            cpio.File("init", Encoding.UTF8.GetBytes(initramfsInit), executable: true);
            cpio.File("guest-init", Encoding.UTF8.GetBytes(guestInit), executable: false);
            cpio.File("modules/order", [], executable: false);
            cpio.File("vsock/socat", socat, executable: true);
            foreach (var library in libraries)
                cpio.File(
                    "vsock/" + Path.GetFileName(library),
                    await File.ReadAllBytesAsync(library, cancellationToken),
                    executable: true
                );
            cpio.Finish();
        }
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>
    /// The shared libraries and the loader <c>ldd</c> lists for <paramref name="program"/> (none when it is static).
    /// </summary>
    internal static async Task<IReadOnlyList<string>> LibrariesAsync(
        string program,
        CancellationToken cancellationToken
    )
    {
        var (code, output) = await Tool.RunAsync("ldd", [program], cancellationToken);
        if (code != 0)
            return output.Contains("not a dynamic executable", StringComparison.Ordinal)
                ? []
                : throw new IOException($"ldd {program}: {output.Trim()}");
        var libraries = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // "libssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
            var arrow = line.IndexOf("=> ", StringComparison.Ordinal);
            var path = (arrow >= 0 ? line[(arrow + 3)..] : line).Split(' ')[0];
            if (path.StartsWith('/'))
                libraries.Add(Path.GetFullPath(path));
            else if (line.Contains("not found", StringComparison.Ordinal))
                throw new IOException($"ldd {program}: {line}");
        }
        return libraries.Distinct(StringComparer.Ordinal).ToList();
    }
}
