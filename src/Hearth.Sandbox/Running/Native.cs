using System.Runtime.InteropServices;
using System.Text;

namespace Hearth.Sandbox.Running;

/// <summary>The libc calls more than one sandbox type makes, and the encoding of paths they take.</summary>
internal static unsafe partial class Native
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int OpenWriteOnly = 1;
    public const int CloseOnExec = 0x80000;

    /// <summary>kill(2). A negative pid signals the process group -pid.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true)]
    public static partial int Open(byte* path, int flags);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int RenameAt2(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    [LibraryImport("libc", EntryPoint = "lchown", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LChown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint GetEgid();

    /// <summary>
    /// <paramref name="value"/> as a NUL-terminated UTF-8 string in native memory; the caller frees it
    /// (NativeMemory.Free).
    /// </summary>
    public static byte* Utf8(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        var bytes = (byte*)NativeMemory.Alloc((nuint)length + 1);
        Encoding.UTF8.GetBytes(value, new Span<byte>(bytes, length));
        bytes[length] = 0;
        return bytes;
    }
}
