namespace Hearth.Server.Web;

/// <param name="Permission">The page's permission: the entry is shown only to roles granted it (the page refuses the
/// others).</param>
public sealed record WebNavItem(string Key, string Label, string Href, string Permission);

/// <summary>The web UI's navigation, in order. A new page (services, CI jobs) adds its entry here.</summary>
public static class WebNav
{
    public static IReadOnlyList<WebNavItem> Items { get; } =
    [
        new("runs", "Runs", "/", "runs.read"),
        new("agents", "Agents", "/agents", "agents.read"),
        new("locks", "Locks", "/locks", "locks.read"),
    ];
}
