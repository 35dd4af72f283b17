namespace Hearth.Agent.Services;

/// <summary>
/// Named volumes of compose projects on this agent: <c>ROOT/PROJECT_VOLUME/data</c>, bound into the replicas that mount
/// them, kept across replica restarts and agent restarts (ROOT is in the agent's state directory), removed only when
/// asked (<see cref="Remove"/>). Each volume's directory carries a <c>hearth-volume</c> file naming its project and
/// volume: the mark that says Hearth made it.
/// </summary>
public sealed class ServiceVolumes(string root)
{
    public const string MarkFile = "hearth-volume";

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>The volume's data directory, made (empty) on first use.</summary>
    public string Ensure(string project, string volume)
    {
        var directory = DirectoryOf(project, volume);
        var data = Path.Combine(directory, "data");
        if (Directory.Exists(data))
            return data;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(directory, MarkFile), $"project={project}\nvolume={volume}\n");
        // Compose volumes are writable by whoever the image runs as.
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0x1FF);
        return data;
    }

    /// <summary>The volumes here, as (project, volume).</summary>
    public IReadOnlyList<(string Project, string Volume)> List()
    {
        if (!Directory.Exists(Root))
            return [];
        var found = new List<(string, string)>();
        foreach (var directory in Directory.EnumerateDirectories(Root))
        {
            var mark = Path.Combine(directory, MarkFile);
            if (!File.Exists(mark))
                continue;
            var fields = File.ReadAllLines(mark)
                .Select(l => l.Split('=', 2))
                .Where(f => f.Length == 2)
                .ToDictionary(f => f[0], f => f[1]);
            if (fields.TryGetValue("project", out var project) && fields.TryGetValue("volume", out var volume))
                found.Add((project, volume));
        }
        return found;
    }

    /// <summary>Removes a volume and its data (<c>down -v</c>); false when there was none.</summary>
    public bool Remove(string project, string volume)
    {
        var directory = DirectoryOf(project, volume);
        if (!File.Exists(Path.Combine(directory, MarkFile)))
            return false;
        Directory.Delete(directory, recursive: true);
        return true;
    }

    private string DirectoryOf(string project, string volume)
    {
        foreach (var (what, name) in new[] { ("project", project), ("volume", volume) })
        {
            if (
                name.Length is 0 or > 100
                || name.StartsWith('.')
                || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            )
                throw new ArgumentException($"{what} name '{name}': expected letters, digits, '-', '_' and '.'");
        }
        return Path.Combine(Root, $"{project}_{volume}");
    }
}
