using System.Runtime.InteropServices;

namespace Hearth.Sandbox.Running;

internal static class Native
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>kill(2). A negative pid signals the process group -pid.</summary>
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);
}
