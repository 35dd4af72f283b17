using YamlDotNet.RepresentationModel;

namespace Hearth.Cli.Client;

/// <summary>
/// The CLI's own settings: which server, which key. File $XDG_CONFIG_HOME/hearth/config.yaml (mode 0600),
/// overridden by HEARTH_SERVER and HEARTH_API_KEY, overridden by --server/--api-key.
/// </summary>
public sealed record CliConfig(string? Server, string? ApiKey)
{
    public static string DefaultPath()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".config") : xdg, "hearth", "config.yaml");
    }

    public static CliConfig Load(string? server, string? apiKey)
    {
        var path = DefaultPath();
        string? fileServer = null,
            fileKey = null;
        if (File.Exists(path))
        {
            var yaml = new YamlStream();
            try
            {
                using var reader = new StreamReader(path);
                yaml.Load(reader);
            }
            catch (YamlDotNet.Core.YamlException e)
            {
                throw new CliException(
                    $"{path}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {e.InnerException?.Message ?? e.Message}"
                );
            }
            if (yaml.Documents.Count > 0 && yaml.Documents[0].RootNode is YamlMappingNode root)
            {
                foreach (var (key, value) in root.Children)
                {
                    var name = ((YamlScalarNode)key).Value;
                    var text = (value as YamlScalarNode)?.Value;
                    switch (name)
                    {
                        case "server":
                            fileServer = text;
                            break;
                        case "api_key":
                            fileKey = text;
                            break;
                        default:
                            throw new CliException(
                                $"{path}:{key.Start.Line}: unknown setting '{name}' (expected server, api_key)"
                            );
                    }
                }
            }
        }
        return new CliConfig(
            server ?? Env("HEARTH_SERVER") ?? fileServer ?? "http://127.0.0.1:7070",
            apiKey ?? Env("HEARTH_API_KEY") ?? fileKey
        );
    }

    public static void Save(string server, string apiKey)
    {
        var path = DefaultPath();
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var temp = path + ".tmp";
        using (
            var stream = new FileStream(
                temp,
                new FileStreamOptions
                {
                    Mode = FileMode.Create,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                }
            )
        )
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(
                $"# written by hearth dev; hearth reads it from any directory\nserver: {server}\napi_key: {apiKey}\n"
            );
        }
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }

    private static string? Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
