namespace Hearth.Sandbox.Running;

internal static class CommandResolver
{
    /// <summary>
    /// Finds the program the way execvp would, so that a missing command fails the start with a clear
    /// reason instead of exiting 127.
    /// </summary>
    public static string Resolve(string program, string searchPath, string workingDirectory)
    {
        if (program.Length == 0)
        {
            throw new SandboxStartException("the command's program name is empty");
        }
        if (program.Contains('/'))
        {
            var path = Path.GetFullPath(program, workingDirectory);
            return File.Exists(path) ? program : throw new SandboxStartException($"command not found: {program}");
        }
        foreach (var directory in searchPath.Split(':'))
        {
            var candidate = Path.Combine(directory.Length == 0 ? workingDirectory : directory, program);
            if (File.Exists(candidate) && IsExecutable(candidate))
            {
                return candidate;
            }
        }
        throw new SandboxStartException($"command not found: {program} (PATH={searchPath})");
    }

    private static bool IsExecutable(string path) =>
        OperatingSystem.IsWindows()
        || (
            File.GetUnixFileMode(path)
            & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)
        ) != 0;
}
