using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Hearth.Sandbox.Running;

/// <summary>
/// Reaps the sandboxes' processes started with <see cref="PosixSpawn"/>. On each SIGCHLD it asks waitpid(WNOHANG) about
/// each pid it watches, and only those: .NET's Process reaps its own children the same way, so neither takes the
/// other's exit status.
/// </summary>
internal static unsafe partial class ChildReaper
{
    private const int NoHang = 1;
    private const int NoChild = 10;

    private static readonly ConcurrentDictionary<int, TaskCompletionSource<int>> Watched = new();
    private static readonly Lock Reaping = new();
    private static PosixSignalRegistration? _registration;

    /// <summary>
    /// Completes with the exit code once <paramref name="pid"/> (a child of this process) has exited: its status, or
    /// 128 + the signal that killed it (a shell's convention, and .NET Process's).
    /// </summary>
    public static Task<int> Watch(int pid)
    {
        EnsureRegistered();
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Watched[pid] = exited;
        // The child may have exited before it was watched; its SIGCHLD then found nothing to reap.
        TryReap(pid);
        return exited.Task;
    }

    /// <summary>Registers the SIGCHLD handler (and so starts the runtime's signal thread) if it is not yet.</summary>
    public static void EnsureRegistered()
    {
        lock (Reaping)
        {
            _registration ??= PosixSignalRegistration.Create(PosixSignal.SIGCHLD, _ =>
            {
                foreach (var pid in Watched.Keys)
                {
                    TryReap(pid);
                }
            });
        }
    }

    private static void TryReap(int pid)
    {
        // One waitpid per pid at a time: the handler and Watch may race for the same exit, and the loser's ECHILD must
        // not be taken for a lost child.
        lock (Reaping)
        {
            TryReapLocked(pid);
        }
    }

    private static void TryReapLocked(int pid)
    {
        int status;
        var reaped = waitpid(pid, &status, NoHang);
        if (reaped == pid)
        {
            if (Watched.TryRemove(pid, out var exited))
            {
                var signal = status & 0x7f;
                exited.TrySetResult(signal == 0 ? (status >> 8) & 0xff : 128 + signal);
            }
        }
        else if (reaped == -1 && Marshal.GetLastPInvokeError() == NoChild && Watched.TryRemove(pid, out var lost))
        {
            lost.TrySetException(new IOException($"process {pid} was reaped by someone else; its exit status is lost"));
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, int* status, int options);
}
