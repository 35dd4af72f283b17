namespace Hearth.Sandbox.Running;

/// <summary>
/// &lt;ScratchRoot&gt;/&lt;sandbox-id&gt;, empty for one sandbox and emptied after it: either removed, or, when a pool
/// of kept directories is given, emptied, given back the agent's owner and mode, and kept for a later sandbox.
/// </summary>
internal sealed class ScratchDirectory
{
    // The mode a scratch directory gets from mkdir under this process's umask, seen on the first one made.
    private static UnixFileMode? _pristineMode;

    private readonly bool _owned;
    private readonly IdleDirectories? _kept;

    private ScratchDirectory(string root, bool owned = true, IdleDirectories? kept = null)
    {
        Root = root;
        _owned = owned;
        _kept = kept;
    }

    /// <summary>
    /// A directory someone else created and removes (a task's shared workspace); <see cref="Delete"/> leaves it.
    /// </summary>
    public static ScratchDirectory Borrow(string directory)
    {
        if (!Path.IsPathRooted(directory) || !Directory.Exists(directory))
            throw new SandboxStartException(
                $"the workspace directory must be an existing absolute path, not '{directory}'"
            );
        return new ScratchDirectory(directory, owned: false);
    }

    public string Root { get; }

    /// <summary>
    /// A scratch directory an earlier agent made (recovery): removed, not kept, when the sandbox is destroyed.
    /// </summary>
    public static ScratchDirectory Reopen(string root, bool owned) => new(root, owned);

    /// <summary>Whether destroying the sandbox removes this directory (false for a borrowed workspace).</summary>
    public bool Owned => _owned;

    /// <param name="kept">Emptied directories of <paramref name="scratchRoot"/> to take this one from and give it back
    /// to.</param>
    public static ScratchDirectory Create(string scratchRoot, string sandboxId, IdleDirectories? kept = null)
    {
        if (string.IsNullOrWhiteSpace(scratchRoot) || !Path.IsPathRooted(scratchRoot))
        {
            throw new SandboxStartException($"the scratch root must be an absolute path, not '{scratchRoot}'");
        }
        var root = Path.Combine(scratchRoot, sandboxId);
        try
        {
            Directory.CreateDirectory(scratchRoot);
            if (Directory.Exists(root))
            {
                throw new SandboxStartException($"scratch directory {root} already exists (sandbox id reused?)");
            }
            if (kept is null || !kept.TryTake(root))
            {
                Directory.CreateDirectory(root);
                _pristineMode ??= File.GetUnixFileMode(root);
            }
            return new ScratchDirectory(root, owned: true, kept);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxStartException($"cannot create scratch directory {root}: {e.Message}", e);
        }
    }

    public string Subdirectory(string name)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>
    /// After a sandbox that ran: emptied and kept for a later one when there is a pool and room in it, else deleted.
    /// </summary>
    public void Recycle()
    {
        if (_owned && _kept is not null && Directory.Exists(Root) && TryEmpty() && _kept.TryKeep(Root))
        {
            return;
        }
        Delete();
    }

    public void Delete()
    {
        if (!_owned || !Directory.Exists(Root))
        {
            return;
        }
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (UnauthorizedAccessException) when (!OperatingSystem.IsWindows())
        {
            // The command may have left directories without write or search permission: open them up and retry.
            foreach (
                var directory in Directory.EnumerateDirectories(
                    Root,
                    "*",
                    new EnumerationOptions
                    {
                        RecurseSubdirectories = true,
                        IgnoreInaccessible = true,
                        AttributesToSkip = FileAttributes.ReparsePoint,
                    }
                )
            )
            {
                File.SetUnixFileMode(
                    directory,
                    UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                );
            }
            Directory.Delete(Root, recursive: true);
        }
    }

    /// <summary>
    /// Makes the directory what a new one would be (no entries, the agent's owner, mkdir's mode); false when it cannot.
    /// </summary>
    private bool TryEmpty()
    {
        if (_pristineMode is not { } mode || OperatingSystem.IsWindows())
            return false;
        try
        {
            var directory = new DirectoryInfo(Root);
            if (directory.LinkTarget is not null)
                return false;
            foreach (var entry in directory.EnumerateFileSystemInfos())
            {
                if (entry is DirectoryInfo child && child.LinkTarget is null)
                    child.Delete(recursive: true);
                else
                    entry.Delete();
            }
            if (Native.LChown(Root, Native.GetEuid(), Native.GetEgid()) != 0)
                return false;
            File.SetUnixFileMode(Root, mode);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
