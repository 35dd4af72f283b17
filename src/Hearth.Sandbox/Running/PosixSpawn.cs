using System.Runtime.InteropServices;

namespace Hearth.Sandbox.Running;

/// <summary>
/// posix_spawn(3) with the attributes .NET's Process cannot ask for: a new session (POSIX_SPAWN_SETSID), every signal
/// back to its default and unblocked (the runtime ignores SIGPIPE, which a child must not inherit), a working
/// directory, and exactly three descriptors (four with a status descriptor, as 3). glibc spawns with CLONE_VFORK, so
/// nothing of the agent's address space is copied, and an exec failure is returned as an error rather than as a child
/// that exits 127.
/// </summary>
internal static unsafe partial class PosixSpawn
{
    private const int SetSignalDefaults = 0x04;
    private const int SetSignalMask = 0x08;
    private const int SetSession = 0x80;
    private const int OpenReadOnly = 0;
    private const int SigKill = 9;
    private const int SigStop = 19;

    // glibc's posix_spawnattr_t is 336 bytes and posix_spawn_file_actions_t 80 on x86_64 and arm64; sigset_t is 128.
    private const int AttrBytes = 512;
    private const int FileActionsBytes = 256;
    private const int SigsetBytes = 128;

    /// <summary>
    /// Starts <paramref name="argv"/> with stdin, stdout and stderr set to the given descriptors; returns the pid.
    /// </summary>
    /// <param name="stdin">A descriptor, or -1 for /dev/null.</param>
    /// <param name="around">
    /// Entered right before posix_spawn and disposed right after it, with everything already encoded: between the two
    /// nothing runs but the spawn (a cgroup v1 join relies on that, see <see cref="Cgroups.CgroupV1ThreadMove"/>).
    /// </param>
    public static int Start(
        string path,
        IReadOnlyList<string> argv,
        IReadOnlyDictionary<string, string> environment,
        string workingDirectory,
        int stdin,
        int stdout,
        int stderr,
        Func<IDisposable?>? around = null,
        int status = -1
    )
    {
        var attr = NativeMemory.AllocZeroed(AttrBytes);
        var actions = NativeMemory.AllocZeroed(FileActionsBytes);
        var signals = NativeMemory.AllocZeroed(SigsetBytes);
        var strings = new List<nint>();
        try
        {
            Check(posix_spawnattr_init(attr), "posix_spawnattr_init");
            Check(posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
            sigemptyset(signals);
            Check(posix_spawnattr_setsigmask(attr, signals), "posix_spawnattr_setsigmask");
            // Signals 1-64 but SIGKILL and SIGSTOP, written as bits: sigaddset refuses 32 and 33, which glibc keeps for
            // itself and would otherwise leave ignored in the child (and so in whatever the child execs).
            *(ulong*)signals = ~((1UL << (SigKill - 1)) | (1UL << (SigStop - 1)));
            Check(posix_spawnattr_setsigdefault(attr, signals), "posix_spawnattr_setsigdefault");
            Check(
                posix_spawnattr_setflags(attr, (short)(SetSession | SetSignalDefaults | SetSignalMask)),
                "posix_spawnattr_setflags"
            );

            if (stdin >= 0)
            {
                Check(posix_spawn_file_actions_adddup2(actions, stdin, 0), "posix_spawn_file_actions_adddup2");
            }
            else
            {
                Check(
                    posix_spawn_file_actions_addopen(actions, 0, Utf8(strings, "/dev/null"), OpenReadOnly, 0),
                    "posix_spawn_file_actions_addopen"
                );
            }
            Check(posix_spawn_file_actions_adddup2(actions, stdout, 1), "posix_spawn_file_actions_adddup2");
            Check(posix_spawn_file_actions_adddup2(actions, stderr, 2), "posix_spawn_file_actions_adddup2");
            if (status >= 0)
            {
                Check(posix_spawn_file_actions_adddup2(actions, status, 3), "posix_spawn_file_actions_adddup2");
            }
            Check(
                posix_spawn_file_actions_addchdir_np(actions, Utf8(strings, workingDirectory)),
                "posix_spawn_file_actions_addchdir_np"
            );

            var argvBlock = (byte**)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(nint));
            strings.Add((nint)argvBlock);
            for (var i = 0; i < argv.Count; i++)
                argvBlock[i] = Utf8(strings, argv[i]);
            var envBlock = (byte**)NativeMemory.AllocZeroed((nuint)(environment.Count + 1), (nuint)sizeof(nint));
            strings.Add((nint)envBlock);
            var e = 0;
            foreach (var (key, value) in environment)
                envBlock[e++] = Utf8(strings, $"{key}={value}");

            var program = Utf8(strings, path);
            int pid;
            int error;
            using (around?.Invoke())
            {
                error = posix_spawn(&pid, program, actions, attr, argvBlock, envBlock);
            }
            if (error != 0)
            {
                throw new SandboxStartException(
                    $"cannot start {path}: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})"
                );
            }
            return pid;
        }
        finally
        {
            posix_spawn_file_actions_destroy(actions);
            posix_spawnattr_destroy(attr);
            NativeMemory.Free(attr);
            NativeMemory.Free(actions);
            NativeMemory.Free(signals);
            foreach (var pointer in strings)
                NativeMemory.Free((void*)pointer);
        }
    }

    private static byte* Utf8(List<nint> owned, string value)
    {
        var bytes = Native.Utf8(value);
        owned.Add((nint)bytes);
        return bytes;
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new SandboxStartException($"{call}: {Marshal.GetPInvokeErrorMessage(error)} (errno {error})");
        }
    }

    [LibraryImport("libc")]
    private static partial int posix_spawn(
        int* pid,
        byte* path,
        void* fileActions,
        void* attr,
        byte** argv,
        byte** envp
    );

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);

    [LibraryImport("libc")]
    private static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_init(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_destroy(void* actions);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addopen(
        void* actions,
        int fd,
        byte* path,
        int flags,
        uint mode
    );

    [LibraryImport("libc")]
    private static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);

    [LibraryImport("libc")]
    private static partial int sigemptyset(void* set);
}
