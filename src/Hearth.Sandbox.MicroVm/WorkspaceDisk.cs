namespace Hearth.Sandbox.MicroVm;

/// <summary>
/// A task's workspace (<see cref="SandboxSpec.WorkspaceDirectory"/>: a checkout the agent made on the host, the
/// dependencies' artifacts, the restored cache) carried into a VM and back: the directory is written into a raw ext4
/// disk (<c>mkfs.ext4 -d</c>, no journal), the guest mounts it as the command's working directory, and once the VM has
/// ended the disk is read back into the directory with debugfs (no mount, no privilege), so what the job left there
/// (its artifacts, its cache) is on the host as with every other driver. The VM shares nothing else with the host.
/// </summary>
internal static class WorkspaceDisk
{
    /// <summary>
    /// A sparse file of <paramref name="bytes"/>: the disk slot a VM boots with (a warm pool's stays empty until
    /// taken).
    /// </summary>
    public static void CreateSlot(string path, long bytes)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        file.SetLength(bytes);
    }

    /// <summary>
    /// The disk's capacity for <paramref name="directory"/>: the configured one, or twice its content when larger.
    /// </summary>
    public static long CapacityFor(string directory, long configured)
    {
        var content = new DirectoryInfo(directory)
            .EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Sum(f => f.Length);
        return Math.Max(configured, 2 * content + (256L << 20));
    }

    /// <summary>
    /// Writes <paramref name="directory"/> into the disk at <paramref name="disk"/> (its size unchanged: written in
    /// place, so a VM that has the file open already sees the new filesystem once it drops its cached blocks).
    /// </summary>
    public static async Task FillAsync(string mkfs, string directory, string disk, CancellationToken cancellationToken)
    {
        try
        {
            await Tool.CheckAsync(
                mkfs,
                ["-F", "-q", "-O", "^has_journal", "-L", "workspace", "-d", directory, disk],
                cancellationToken
            );
        }
        catch (IOException e)
        {
            throw new SandboxStartException(
                $"cannot put the workspace into the VM's workspace disk ({new FileInfo(disk).Length >> 20} MiB): {e.Message}",
                e
            );
        }
    }

    /// <summary>
    /// Replaces <paramref name="directory"/>'s content with the disk's (what the task left there), through a sibling
    /// directory; <c>lost+found</c> is not the task's and stays out.
    /// </summary>
    public static async Task CopyBackAsync(
        string debugfs,
        string disk,
        string directory,
        CancellationToken cancellationToken
    )
    {
        var dump = directory.TrimEnd('/') + ".vm-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(dump);
        try
        {
            var (code, output) = await Tool.RunAsync(debugfs, ["-R", $"rdump / {dump}", disk], cancellationToken);
            // debugfs says what it could not dump on its output but exits 0; a disk it cannot open is the failure that
            // matters.
            if (
                code != 0
                || output.Contains("Bad magic number", StringComparison.Ordinal)
                || output.Contains("while opening", StringComparison.Ordinal)
            )
                throw new IOException($"debugfs could not read the workspace disk (exit {code}): {output}");
            foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo { LinkTarget: null } sub)
                    sub.Delete(recursive: true);
                else
                    entry.Delete();
            }
            foreach (var entry in new DirectoryInfo(dump).EnumerateFileSystemInfos())
            {
                if (entry.Name == "lost+found")
                    continue;
                var target = Path.Combine(directory, entry.Name);
                if (entry is DirectoryInfo { LinkTarget: null } sub)
                    sub.MoveTo(target);
                else
                    File.Move(entry.FullName, target);
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new IOException($"cannot run {debugfs} (e2fsprogs): {e.Message}", e);
        }
        finally
        {
            if (Directory.Exists(dump))
                Directory.Delete(dump, recursive: true);
        }
    }
}
