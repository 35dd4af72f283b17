namespace Hearth.Sandbox.Reaping;

/// <summary>
/// An agent as owner of sandboxes: its scratch root, where every sandbox of it has its directory from before its first
/// resource is made until after its last is removed. A running agent holds <see cref="LockFileName"/> there (an flock),
/// so one scratch root has one agent, and a reaper can tell whether the owner of a resource still runs.
/// </summary>
public sealed class SandboxOwner : IDisposable
{
    public const string LockFileName = ".hearth-agent.lock";

    public const string PidFileName = ".hearth-agent.pid";

    private readonly FileStream _lock;

    private SandboxOwner(string scratchRoot, FileStream held)
    {
        ScratchRoot = scratchRoot;
        _lock = held;
    }

    public string ScratchRoot { get; }

    /// <summary>A scratch root as marks record it: absolute, without a trailing slash.</summary>
    public static string Normalize(string scratchRoot) =>
        Path.TrimEndingDirectorySeparator(Path.GetFullPath(scratchRoot));

    /// <summary>Takes the scratch root for this process; null when another running process holds it.</summary>
    public static SandboxOwner? TryClaim(string scratchRoot)
    {
        var root = Normalize(scratchRoot);
        Directory.CreateDirectory(root);
        var path = Path.Combine(root, LockFileName);
        try
        {
            // FileShare.None is an exclusive flock on Unix: released by the kernel when this process dies, however.
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            // Beside the lock: a file locked this way cannot be read by anyone else, not even for the holder's pid.
            File.WriteAllText(Path.Combine(root, PidFileName), Environment.ProcessId + "\n");
            return new SandboxOwner(root, stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// The pid of the process holding <paramref name="scratchRoot"/> (0 when unknown), or null when none holds it.
    /// </summary>
    public static int? Holder(string scratchRoot)
    {
        var path = Path.Combine(Normalize(scratchRoot), LockFileName);
        if (!File.Exists(path))
            return null;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.None);
            return null;
        }
        catch (IOException)
        {
            try
            {
                return int.TryParse(
                    File.ReadAllText(Path.Combine(Normalize(scratchRoot), PidFileName)).Trim(),
                    out var pid
                )
                    ? pid
                    : 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return 0;
            }
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    public void Dispose() => _lock.Dispose();
}
