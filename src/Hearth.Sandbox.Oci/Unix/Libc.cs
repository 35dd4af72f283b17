using System.Runtime.InteropServices;

namespace Hearth.Sandbox.Oci.Unix;

/// <summary>The few libc calls .NET has no API for (hard links, ownership without following links, mounts).</summary>
internal static class Libc
{
    public const int MntDetach = 2;
    private const ulong MsNoSuid = 0x2;
    private const ulong MsNoDev = 0x4;
    private const ulong MsNoExec = 0x8;
    private const ulong MsBind = 0x1000;
    private const ulong MsRec = 0x4000;

    [DllImport("libc", SetLastError = true)]
    private static extern int link(string oldPath, string newPath);

    [DllImport("libc", SetLastError = true)]
    private static extern int lchown(string path, uint owner, uint group);

    [DllImport("libc", SetLastError = true)]
    private static extern int mount(string source, string target, string fileSystemType, ulong flags, string? data);

    [DllImport("libc", SetLastError = true)]
    private static extern int umount2(string target, int flags);

    public static void HardLink(string existing, string newPath) => Check(link(existing, newPath), $"link {newPath}");

    public static void LChown(string path, int uid, int gid) =>
        Check(lchown(path, (uint)uid, (uint)gid), $"lchown {path}");

    public static void LChown(string path, uint uid, uint gid) => Check(lchown(path, uid, gid), $"lchown {path}");

    public static void MountOverlay(string lower, string upper, string work, string target) =>
        Check(
            mount("overlay", target, "overlay", 0, $"lowerdir={lower},upperdir={upper},workdir={work}"),
            $"mount overlay on {target}"
        );

    public static void BindMount(string source, string target) =>
        Check(mount(source, target, "", MsBind | MsRec, null), $"bind {source} on {target}");

    /// <summary>A tmpfs with nosuid, nodev and noexec and the given options (<c>mode=1777,size=…</c>).</summary>
    public static void MountTmpfs(string source, string target, string options) =>
        Check(mount(source, target, "tmpfs", MsNoSuid | MsNoDev | MsNoExec, options), $"mount tmpfs on {target}");

    /// <summary>Detaches a mount; returns false when nothing was mounted there.</summary>
    public static bool Unmount(string target) => umount2(target, MntDetach) == 0;

    private static void Check(int result, string what)
    {
        if (result != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"{what}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }
    }
}
