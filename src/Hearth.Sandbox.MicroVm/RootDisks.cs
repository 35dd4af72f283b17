using System.Globalization;

namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// Root disks made from images: one ext4 image per image digest and size (<c>mkfs.ext4 -d</c> over the image store's
/// unpacked rootfs), built once under a lock and kept, never written to; each task boots a qcow2 overlay backed by it
/// (<c>qemu-img create -b</c>), which takes what the task writes and is deleted with the task.
/// </summary>
internal sealed class RootDisks(MicroVmDriverOptions options)
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    // An image's rootfs never changes: its size is measured (a walk of every file) once per digest.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _sizes = new(
        StringComparer.Ordinal
    );

    private string Directory => Path.Combine(options.CacheDirectory, "disks");

    /// <summary>The base disk of an image, built when missing. <paramref name="digestHex"/> names the image.</summary>
    public async Task<string> EnsureAsync(string digestHex, string rootfs, CancellationToken cancellationToken)
    {
        var used = _sizes.GetOrAdd(digestHex, _ => UsedBytes(rootfs));
        var size = Math.Max(options.DiskSizeBytes, RoundUp(2 * used + (64L << 20)));
        var path = Path.Combine(Directory, $"{digestHex}-{size.ToString(CultureInfo.InvariantCulture)}.ext4");
        if (File.Exists(path))
            return path;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            // Other agents on this host may build the same disk: one builds, the others wait for it.
            using var lockFile = await LockAsync(path + ".lock", cancellationToken);
            if (File.Exists(path))
                return path;
            var temporary = path + ".tmp";
            File.Delete(temporary);
            try
            {
                await Tool.CheckAsync(
                    options.MkfsPath,
                    [
                        "-q",
                        "-F",
                        "-t",
                        "ext4",
                        "-L",
                        "hearth-root",
                        "-d",
                        rootfs,
                        temporary,
                        (size / 1024).ToString(CultureInfo.InvariantCulture) + "k",
                    ],
                    cancellationToken
                );
                File.Move(temporary, path);
            }
            finally
            {
                File.Delete(temporary);
            }
            return path;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A task's throwaway overlay on <paramref name="baseDisk"/>.</summary>
    public Task CreateOverlayAsync(string baseDisk, string overlay, CancellationToken cancellationToken) =>
        Tool.CheckAsync(
            options.QemuImgPath,
            ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", baseDisk, overlay],
            cancellationToken
        );

    private static async Task<FileStream> LockAsync(string path, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    private static long UsedBytes(string rootfs)
    {
        long total = 0;
        foreach (
            var file in new DirectoryInfo(rootfs).EnumerateFiles(
                "*",
                new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }
            )
        )
        {
            if (!file.Attributes.HasFlag(FileAttributes.ReparsePoint))
                total += file.Length;
        }
        return total;
    }

    private static long RoundUp(long bytes) => (bytes + (1L << 20) - 1) / (1L << 20) * (1L << 20);
}
