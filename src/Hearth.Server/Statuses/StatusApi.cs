namespace Hearth.Server.Statuses;

/// <summary>
/// The forge API flavours Hearth posts commit statuses to; Bitbucket Cloud and Data Center differ entirely.
/// </summary>
public enum StatusApiKind
{
    GitHub,
    GitLab,
    Gitea,
    BitbucketCloud,
    BitbucketDataCenter,
}

/// <summary>
/// Where a repository's commit statuses go: the API flavour, its base URL (no trailing slash) and the repository's path
/// on the forge (owner/repo; GitLab's full project path; Bitbucket Cloud's workspace/slug; unused by Data Center).
/// </summary>
public sealed record StatusApi(StatusApiKind Kind, string BaseUrl, string RepositoryPath)
{
    /// <summary>
    /// The API a repository's statuses go to: its <paramref name="apiUrl"/> when given, else derived from its clone URL
    /// (github.com → https://api.github.com, another GitHub host → /api/v3, GitLab → /api/v4, Gitea and Forgejo →
    /// /api/v1, bitbucket.org → https://api.bitbucket.org/2.0, another Bitbucket host → Data Center at the host).
    /// Null with the reason when there is none (a file:// or git:// URL without an API URL).
    /// </summary>
    public static (StatusApi? Api, string? Problem) Resolve(string forge, string url, string? apiUrl)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
            return (null, $"'{url}' is not a URL");
        var segments = uri
            .AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)
            .Select(Uri.UnescapeDataString)
            .ToList();
        if (segments.Count > 0 && segments[^1].EndsWith(".git", StringComparison.Ordinal))
            segments[^1] = segments[^1][..^4];
        if (segments.Count < 2)
            return (null, $"'{url}' names no owner/repository");
        var web = uri.Scheme is "https" or "http";
        if (apiUrl is null && !web)
            return (null, $"no forge API can be derived from a {uri.Scheme}:// URL; give the repository an API URL");
        var host = uri.Host.ToLowerInvariant();
        var origin = web ? $"{uri.Scheme}://{uri.Authority}" : "";
        var ownerRepo = $"{segments[^2]}/{segments[^1]}";
        StatusApi? api = forge switch
        {
            "github" => new(
                StatusApiKind.GitHub,
                apiUrl ?? (host == "github.com" ? "https://api.github.com" : origin + "/api/v3"),
                ownerRepo
            ),
            "gitlab" => new(StatusApiKind.GitLab, apiUrl ?? origin + "/api/v4", string.Join('/', segments)),
            "gitea" or "forgejo" => new(StatusApiKind.Gitea, apiUrl ?? origin + "/api/v1", ownerRepo),
            "bitbucket" when host == "bitbucket.org" => new(
                StatusApiKind.BitbucketCloud,
                apiUrl ?? "https://api.bitbucket.org/2.0",
                $"{segments[0]}/{segments[1]}"
            ),
            // Data Center clones from https://HOST[/context]/scm/PROJECT/repo.git; its REST API lives under the same
            // context.
            "bitbucket" => new(
                StatusApiKind.BitbucketDataCenter,
                apiUrl ?? origin + DataCenterContext(segments),
                ownerRepo
            ),
            _ => null,
        };
        return api is null
            ? (null, $"forge '{forge}' takes no commit statuses")
            : (api with { BaseUrl = api.BaseUrl.TrimEnd('/') }, null);
    }

    private static string DataCenterContext(List<string> segments)
    {
        var scm = segments.IndexOf("scm");
        return scm > 0 ? "/" + string.Join('/', segments.Take(scm)) : "";
    }
}
