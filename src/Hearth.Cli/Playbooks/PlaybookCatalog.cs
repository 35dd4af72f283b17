using Hearth.Cli.Client;

namespace Hearth.Cli.Playbooks;

/// <summary>
/// Where playbooks are found: ./.hearth/ first, then $XDG_CONFIG_HOME/hearth/playbooks/ (default
/// ~/.config/hearth/playbooks/).
/// </summary>
public static class PlaybookCatalog
{
    public static IReadOnlyList<string> Directories()
    {
        var config = Path.GetDirectoryName(CliConfig.DefaultPath())!;
        return [Path.Combine(Environment.CurrentDirectory, ".hearth"), Path.Combine(config, "playbooks")];
    }

    /// <summary>Every playbook file by name; a name in the first directory hides the same name in the second.</summary>
    public static IReadOnlyDictionary<string, string> Files()
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var directory in Directories().Where(Directory.Exists))
        {
            foreach (
                var file in Directory
                    .EnumerateFiles(directory)
                    .Where(f =>
                        f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)
                    )
                    .Order(StringComparer.Ordinal)
            )
                files.TryAdd(Path.GetFileNameWithoutExtension(file), file);
        }
        return files;
    }

    public static Playbook Load(string name)
    {
        if (!Files().TryGetValue(name, out var file))
            throw new CliException($"no playbook '{name}' in {string.Join(" or ", Directories())}");
        try
        {
            return PlaybookReader.Read(file);
        }
        catch (PlaybookException e)
        {
            throw new CliException(e.Message, 2);
        }
    }
}
