using System.Diagnostics;
using Hearth.Sandbox.Oci.Unix;

namespace Hearth.Sandbox.Oci.Runtime;

/// <summary>
/// The per-run root filesystem: an overlay whose lower layer is the image's read-only rootfs and whose
/// upper layer is this run's writable scratch, or a private copy of the image where overlayfs is unavailable.
/// In a user namespace the image's tree is the one shifted into its range, and the upper and work dirs (or the
/// copy's root) belong to the container's root, host id BASE, so that it can write its own root directory.
/// What the container writes stays in the bundle (the scratch directory); the rootfs is mounted in
/// <see cref="Directory"/>, which is the bundle or, in a user namespace, a <see cref="MountDirectory"/> (a copy is
/// bind-mounted there).
/// </summary>
internal sealed class RunRootfs
{
    private readonly bool _mounted;
    private readonly bool _ownsDirectory;
    private string? _sysfs;
    private string? _workspace;
    private string? _shm;

    private RunRootfs(string directory, bool mounted, bool ownsDirectory)
    {
        Directory = directory;
        Path = System.IO.Path.Combine(directory, "rootfs");
        _mounted = mounted;
        _ownsDirectory = ownsDirectory;
    }

    /// <summary>Where the rootfs is mounted, with the files bound into the container beside it.</summary>
    public string Directory { get; }

    public string Path { get; }

    /// <summary>
    /// Mounts, beside the rootfs, a sysfs that shows the network namespace at <paramref name="networkNamespacePath"/>
    /// (sysfs shows the namespace of whoever mounts it), for a container in a user namespace that does not own that
    /// network namespace and so cannot mount one itself. Released with the rootfs.
    /// </summary>
    public async Task<string> MountSysfsAsync(string networkNamespacePath, CancellationToken cancellationToken)
    {
        var target = System.IO.Path.Combine(Directory, "sys");
        System.IO.Directory.CreateDirectory(target);
        var start = new ProcessStartInfo("nsenter") { RedirectStandardError = true };
        foreach (
            var arg in new[]
            {
                $"--net={networkNamespacePath}",
                "mount",
                "-t",
                "sysfs",
                "-o",
                "ro,nosuid,nodev,noexec",
                "sysfs",
                target,
            }
        )
            start.ArgumentList.Add(arg);
        using var mount = Process.Start(start) ?? throw new SandboxStartException("cannot start nsenter");
        var error = await mount.StandardError.ReadToEndAsync(cancellationToken);
        await mount.WaitForExitAsync(cancellationToken);
        if (mount.ExitCode != 0)
            throw new SandboxStartException(
                $"cannot mount a sysfs for the container's network namespace: {error.Trim()}"
            );
        _sysfs = target;
        return target;
    }

    /// <summary>Where a sandbox's /dev/shm is on the host, beside its rootfs (see <see cref="MountShm"/>).</summary>
    public static string ShmPath(string directory) => System.IO.Path.Combine(directory, "shm");

    /// <summary>
    /// Mounts the container's /dev/shm on the host, as docker does for a container whose IPC may be shared: a tmpfs of
    /// <paramref name="sizeBytes"/> (mode 1777, nosuid, nodev, noexec; in a user namespace owned by the container's
    /// root) beside the rootfs, which the container binds at /dev/shm, and so may a container that joins its IPC
    /// namespace (<see cref="SandboxSpec.IpcOf"/>): POSIX shared memory (<c>shm_open</c>) is files there. Released with
    /// the rootfs. A leftover mount at that place (a start of the same sandbox that died) is removed first, so it is
    /// never mounted twice.
    /// </summary>
    public string MountShm(long sizeBytes, IdMapping? ids)
    {
        var target = ShmPath(Directory);
        System.IO.Directory.CreateDirectory(target);
        while (Hearth.Sandbox.Reaping.MountTable.MountPoints().Contains(target))
        {
            if (!Libc.Unmount(target))
                throw new SandboxStartException($"cannot unmount a leftover /dev/shm at {target}");
        }
        var options = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"mode=1777,size={sizeBytes}");
        if (ids is not null)
            options += string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $",uid={ids.HostIdBase},gid={ids.HostIdBase}"
            );
        try
        {
            Libc.MountTmpfs("shm", target, options);
        }
        catch (IOException e)
        {
            throw new SandboxStartException($"cannot mount /dev/shm for the container: {e.Message}", e);
        }
        _shm = target;
        return target;
    }

    /// <summary>
    /// Where the runtime finds <paramref name="workspace"/> (a host directory the container gets as its working
    /// directory): the directory itself, or in a user namespace a bind of it beside the rootfs, which the container's
    /// root can walk to (the workspace's parents may be private). Released with the rootfs.
    /// </summary>
    public string BindWorkspace(string workspace)
    {
        if (!_ownsDirectory)
            return workspace;
        var target = System.IO.Path.Combine(Directory, "workspace");
        System.IO.Directory.CreateDirectory(target);
        try
        {
            Libc.BindMount(workspace, target);
        }
        catch (IOException e)
        {
            throw new SandboxStartException($"cannot bind the workspace {workspace}: {e.Message}", e);
        }
        _workspace = target;
        return target;
    }

    /// <param name="mountDirectory">Where to mount the rootfs: <paramref name="bundle"/>, or a directory this rootfs
    /// then owns.</param>
    public static async Task<RunRootfs> PrepareAsync(
        string imageRootfs,
        string bundle,
        string mountDirectory,
        RootfsMode mode,
        IdMapping? ids,
        CancellationToken cancellationToken
    )
    {
        var owns = mountDirectory != bundle;
        try
        {
            return await MountAsync(imageRootfs, bundle, mountDirectory, owns, mode, ids, cancellationToken);
        }
        catch when (owns)
        {
            TryDelete(mountDirectory);
            throw;
        }
    }

    private static async Task<RunRootfs> MountAsync(
        string imageRootfs,
        string bundle,
        string mountDirectory,
        bool owns,
        RootfsMode mode,
        IdMapping? ids,
        CancellationToken cancellationToken
    )
    {
        var target = System.IO.Path.Combine(mountDirectory, "rootfs");
        System.IO.Directory.CreateDirectory(target);
        if (mode != RootfsMode.Copy)
        {
            var upper = System.IO.Path.Combine(bundle, "upper");
            var work = System.IO.Path.Combine(bundle, "work");
            System.IO.Directory.CreateDirectory(upper);
            System.IO.Directory.CreateDirectory(work);
            GiveToContainerRoot(upper, ids);
            GiveToContainerRoot(work, ids);
            try
            {
                Libc.MountOverlay(imageRootfs, upper, work, target);
                return new RunRootfs(mountDirectory, mounted: true, owns);
            }
            catch (IOException) when (mode == RootfsMode.Auto)
            {
                // Fall through to a copy.
            }
            catch (IOException e)
            {
                throw new SandboxStartException($"cannot mount the overlay rootfs: {e.Message}", e);
            }
        }
        var copy = System.IO.Path.Combine(bundle, "rootfs");
        System.IO.Directory.CreateDirectory(copy);
        await CopyAsync(imageRootfs, copy, cancellationToken);
        GiveToContainerRoot(copy, ids);
        if (copy == target)
            return new RunRootfs(mountDirectory, mounted: false, owns);
        try
        {
            Libc.BindMount(copy, target);
        }
        catch (IOException e)
        {
            throw new SandboxStartException($"cannot bind the copied rootfs: {e.Message}", e);
        }
        return new RunRootfs(mountDirectory, mounted: true, owns);
    }

    private static void GiveToContainerRoot(string directory, IdMapping? ids)
    {
        if (ids is not null)
            Libc.LChown(directory, ids.HostIdBase, ids.HostIdBase);
    }

    public void Release()
    {
        if (_sysfs is not null)
            Libc.Unmount(_sysfs);
        if (_workspace is not null)
            Libc.Unmount(_workspace);
        if (_shm is not null)
            Libc.Unmount(_shm);
        if (_mounted)
            Libc.Unmount(Path);
        if (_ownsDirectory)
            TryDelete(Directory);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Still mounted (a detached unmount leaves nothing behind, so this is rare): left for the operator.
        }
    }

    private static async Task CopyAsync(string source, string target, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("cp") { RedirectStandardError = true };
        foreach (var arg in new[] { "-a", "--", source + "/.", target + "/" })
            start.ArgumentList.Add(arg);
        using var cp = Process.Start(start) ?? throw new SandboxStartException("cannot start cp");
        var error = await cp.StandardError.ReadToEndAsync(cancellationToken);
        await cp.WaitForExitAsync(cancellationToken);
        if (cp.ExitCode != 0)
            throw new SandboxStartException($"copying the image rootfs failed: {error.Trim()}");
    }
}
