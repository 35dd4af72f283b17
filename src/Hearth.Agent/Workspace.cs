namespace Hearth.Agent;

/// <summary>
/// A task's workspace on the agent's host: shared by its checkout and command phases, removed after both.
/// </summary>
public sealed class Workspace : IDisposable
{
    private Workspace(string path) => Path = path;

    public string Path { get; }

    public static Workspace Create(string scratchRoot, string name)
    {
        var path = System.IO.Path.Combine(scratchRoot, name);
        if (Directory.Exists(path))
            Directory.Delete(path, recursive: true);
        Directory.CreateDirectory(path);
        return new Workspace(path);
    }

    /// <summary>
    /// The workspace of a task an earlier agent started (recovery): removed after the task like any other.
    /// </summary>
    public static Workspace Reopen(string path) => new(path);

    /// <summary>The command phase, in <paramref name="directory"/> of the checkout when one is given.</summary>
    public static IReadOnlyList<string> InDirectory(IReadOnlyList<string> command, string? directory) =>
        directory is null ? command : ["/bin/sh", "-c", "cd -- \"$0\" && exec \"$@\"", directory, .. command];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for the scratch root's owner; a workspace never holds anything the next task reads.
        }
    }
}
