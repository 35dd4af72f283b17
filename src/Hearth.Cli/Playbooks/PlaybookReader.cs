using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Hearth.Cli.Playbooks;

/// <summary>
/// Reads one playbook file strictly: known keys only, each of the right shape, commands required and non-empty.
/// </summary>
public static class PlaybookReader
{
    private static readonly string[] Keys =
    [
        "description",
        "image",
        "git_repo",
        "git_ref",
        "git_path",
        "git_secret",
        "lock",
        "secrets",
        "env",
        "commands",
    ];

    public static Playbook Read(string file)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new PlaybookException($"{file}:{e.Start.Line}: {e.InnerException?.Message ?? e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new PlaybookException($"{file}:1: a playbook is a mapping of keys ({string.Join(", ", Keys)})");

        string? Scalar(string key, YamlNode node) =>
            node is YamlScalarNode scalar ? scalar.Value : throw Error(node, key, "expected a single value");

        var values = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            if (!Keys.Contains(key))
                throw Error(keyNode, key, $"unknown key (expected one of {string.Join(", ", Keys)})");
            if (!values.TryAdd(key, value))
                throw Error(keyNode, key, "given twice");
        }
        if (!values.TryGetValue("commands", out var commandsNode))
            throw new PlaybookException($"{file}:1: commands: required (a list of shell commands)");
        if (commandsNode is not YamlSequenceNode commandList || commandList.Children.Count == 0)
            throw Error(commandsNode, "commands", "expected a non-empty list of shell commands");
        var commands = commandList
            .Children.Select(c =>
                Scalar("commands", c) is { Length: > 0 } s ? s : throw Error(c, "commands", "an empty command")
            )
            .ToList();

        var secrets = new List<string>();
        if (values.TryGetValue("secrets", out var secretsNode))
        {
            if (secretsNode is not YamlSequenceNode list)
                throw Error(secretsNode, "secrets", "expected a list of secret names");
            secrets.AddRange(
                list.Children.Select(s => Scalar("secrets", s) ?? throw Error(s, "secrets", "an empty name"))
            );
        }
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        if (values.TryGetValue("env", out var envNode))
        {
            if (envNode is not YamlMappingNode map)
                throw Error(envNode, "env", "expected a mapping of NAME: value");
            foreach (var (k, v) in map.Children)
                env[Scalar("env", k) ?? ""] = Scalar($"env.{(k as YamlScalarNode)?.Value}", v) ?? "";
        }
        string? Optional(string key) => values.TryGetValue(key, out var node) ? Scalar(key, node) : null;

        return new Playbook
        {
            Name = name,
            File = file,
            Description = Optional("description"),
            Image = Optional("image"),
            GitRepo = Optional("git_repo"),
            GitRef = Optional("git_ref"),
            GitPath = Optional("git_path"),
            GitSecret = Optional("git_secret"),
            Lock = Optional("lock"),
            Secrets = secrets,
            Env = env,
            Commands = commands,
        };

        PlaybookException Error(YamlNode node, string key, string what) =>
            new($"{file}:{node.Start.Line}: {key}: {what}");
    }
}
