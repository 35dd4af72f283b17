using System.Runtime.InteropServices;

namespace Hearth.Sandbox.Running;

/// <summary>
/// A sandbox's host process started by <see cref="PosixSpawn"/> in its own session, with its stdout and stderr (and,
/// for a monitor that records the exit, descriptor 3) given by the caller; the write end of its start gate (when it
/// has one), and its exit.
/// </summary>
internal sealed unsafe partial class SpawnedProcess : ISandboxProcess
{
    private const int CloseOnExec = 0x80000;
    private int _gate;

    private SpawnedProcess(int pid, int gate)
    {
        Pid = pid;
        _gate = gate;
        Exited = ChildReaper.Watch(pid);
    }

    public int Pid { get; }

    /// <summary>The exit code (see <see cref="ChildReaper.Watch"/>).</summary>
    public Task<int> Exited { get; }

    /// <summary>True once the process has been reaped: its pid may then belong to someone else.</summary>
    public bool HasExited => Exited.IsCompleted;

    /// <summary>
    /// Starts the program; with <paramref name="gated"/>, its stdin is a pipe the caller opens with
    /// <see cref="OpenGate"/>.
    /// </summary>
    /// <param name="stdout">The descriptor the program's stdout is (it stays the caller's to close).</param>
    /// <param name="status">A descriptor given to the program as 3, or -1.</param>
    /// <param name="around">Entered just before the spawn itself and disposed just after it (see
    /// <see cref="PosixSpawn.Start"/>).</param>
    public static SpawnedProcess Start(
        string path,
        IReadOnlyList<string> argv,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        bool gated,
        int stdout,
        int stderr,
        int status,
        Func<IDisposable?>? around = null
    )
    {
        var owned = new List<int>();
        try
        {
            var (gateRead, gateWrite) = gated ? Pipe(owned) : (-1, -1);
            var pid = PosixSpawn.Start(
                path,
                argv,
                environment,
                workingDirectory,
                gateRead,
                stdout,
                stderr,
                around,
                status
            );
            Close(gateRead);
            return new SpawnedProcess(pid, gateWrite);
        }
        catch
        {
            foreach (var fd in owned)
                Close(fd);
            throw;
        }
    }

    /// <summary>Lets a gated process go on (it reads one line); false when it is gone already.</summary>
    public bool OpenGate()
    {
        var gate = Interlocked.Exchange(ref _gate, -1);
        if (gate < 0)
            return false;
        try
        {
            ReadOnlySpan<byte> go = "go\n"u8;
            fixed (byte* bytes = go)
            {
                return Native.Write(gate, bytes, (nuint)go.Length) == go.Length;
            }
        }
        finally
        {
            Close(gate);
        }
    }

    public void Dispose() => Close(Interlocked.Exchange(ref _gate, -1));

    private static (int Read, int Write) Pipe(List<int> owned)
    {
        var fds = stackalloc int[2];
        if (pipe2(fds, CloseOnExec) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new SandboxStartException(
                $"cannot create a pipe: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"
            );
        }
        owned.Add(fds[0]);
        owned.Add(fds[1]);
        return (fds[0], fds[1]);
    }

    private static void Close(int fd)
    {
        if (fd >= 0)
            Native.Close(fd);
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);
}
