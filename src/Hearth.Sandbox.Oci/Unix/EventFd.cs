using System.Runtime.InteropServices;

namespace Hearth.Sandbox.Oci.Unix;

/// <summary>A non-blocking Linux eventfd: the kernel adds to its counter, <see cref="TryRead"/> takes it.</summary>
internal sealed class EventFd : IDisposable
{
    private const int NonBlocking = 0x800; // EFD_NONBLOCK
    private const int CloseOnExec = 0x80000; // EFD_CLOEXEC
    private int _fd;

    private EventFd(int fd) => _fd = fd;

    public int Descriptor => _fd;

    public static EventFd Create()
    {
        var fd = eventfd(0, NonBlocking | CloseOnExec);
        if (fd < 0)
            throw new IOException($"eventfd: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return new EventFd(fd);
    }

    /// <summary>The counter since the last read, or 0 when nothing happened.</summary>
    public ulong TryRead()
    {
        var buffer = new byte[8];
        return read(_fd, buffer, 8) == 8 ? BitConverter.ToUInt64(buffer) : 0;
    }

    public void Dispose()
    {
        var fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            close(fd);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int eventfd(uint initval, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint read(int fd, byte[] buffer, nint count);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
