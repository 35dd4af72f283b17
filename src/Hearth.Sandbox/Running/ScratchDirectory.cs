namespace Hearth.Sandbox.Running;

/// <summary>
/// &lt;ScratchRoot&gt;/&lt;sandbox-id&gt;, created fresh for one sandbox and removed with everything in it.
/// </summary>
internal sealed class ScratchDirectory
{
    private readonly bool _owned;

    private ScratchDirectory(string root, bool owned = true)
    {
        Root = root;
        _owned = owned;
    }

    /// <summary>A directory someone else created and removes (a task's shared workspace); <see cref="Delete"/> leaves it.</summary>
    public static ScratchDirectory Borrow(string directory)
    {
        if (!Path.IsPathRooted(directory) || !Directory.Exists(directory))
            throw new SandboxStartException($"the workspace directory must be an existing absolute path, not '{directory}'");
        return new ScratchDirectory(directory, owned: false);
    }

    public string Root { get; }

    public static ScratchDirectory Create(string scratchRoot, string sandboxId)
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
            Directory.CreateDirectory(root);
            return new ScratchDirectory(root);
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
            foreach (var directory in Directory.EnumerateDirectories(Root, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            Directory.Delete(Root, recursive: true);
        }
    }
}
