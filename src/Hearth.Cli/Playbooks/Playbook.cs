namespace Hearth.Cli.Playbooks;

/// <summary>One line of <c>hearth playbook list</c>.</summary>
public sealed record PlaybookSummary(string Name, string? Description, string File);

/// <summary><c>hearth playbook list --output json</c>: the playbooks found, under a named list.</summary>
public sealed record PlaybookListView(IReadOnlyList<PlaybookSummary> Playbooks);

/// <summary>A named, reusable run: a YAML file in ./.hearth/ or ~/.config/hearth/playbooks/.</summary>
public sealed record Playbook
{
    public required string Name { get; init; }
    public required string File { get; init; }
    public string? Description { get; init; }
    public string? Image { get; init; }
    public string? GitRepo { get; init; }
    public string? GitRef { get; init; }
    public string? GitPath { get; init; }
    public string? GitSecret { get; init; }
    public string? Lock { get; init; }
    public IReadOnlyList<string> Secrets { get; init; } = [];
    public IReadOnlyDictionary<string, string> Env { get; init; } = new Dictionary<string, string>();
    public required IReadOnlyList<string> Commands { get; init; }

    /// <summary>The commands as one shell line: each runs only if the one before succeeded.</summary>
    public IReadOnlyList<string> Command => ["sh", "-c", string.Join(" && ", Commands)];
}
