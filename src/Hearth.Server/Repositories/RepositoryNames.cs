using System.Text.RegularExpressions;

namespace Hearth.Server.Repositories;

/// <summary>
/// A repository's name in Hearth: it ends its webhook URL and names its clone cache, so it is kept plain.
/// </summary>
public static partial class RepositoryNames
{
    public const string Expected = "1 to 63 lowercase letters, digits and '-', starting with a letter or digit";

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    private static partial Regex Pattern();

    public static bool IsValid(string name) => Pattern().IsMatch(name);

    /// <summary>
    /// The URL's last two path segments joined by '-', lowercased ("team-app" for …/team/app.git); null if none fit.
    /// </summary>
    public static string? FromUrl(string url)
    {
        var path = Uri.TryCreate(url, UriKind.Absolute, out var uri) ? uri.AbsolutePath : url;
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .TakeLast(2)
            .Select(s => s.EndsWith(".git", StringComparison.OrdinalIgnoreCase) ? s[..^4] : s);
        var name = Regex.Replace(string.Join('-', segments).ToLowerInvariant(), "[^a-z0-9-]+", "-").Trim('-');
        if (name.Length > 63)
            name = name[^63..].TrimStart('-');
        return IsValid(name) ? name : null;
    }
}
