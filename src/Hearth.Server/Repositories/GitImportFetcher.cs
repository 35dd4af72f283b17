using Hearth.Workflows.Imports;

namespace Hearth.Server.Repositories;

/// <summary>
/// Imports of a workflow read from a repository: files of the same repository at the same commit, named by
/// <c>hearth-git://REPO/PATH</c> URLs (relative and absolute <c>from</c> paths resolve to those). Nothing is read from
/// the server's disk and no other URL is fetched: the server does not fetch https imports for a webhook.
/// </summary>
public sealed class GitImportFetcher(GitCache git, GitAccess access, string commit) : IImportFetcher
{
    public const string Scheme = "hearth-git";

    public static Uri UriOf(string repository, string path) => new($"{Scheme}://{repository}/{path.TrimStart('/')}");

    public async Task<FetchedImport> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        if (url.Scheme != Scheme || url.Host != access.Name.ToLowerInvariant())
            throw new ImportFetchException(
                $"a workflow read from repository {access.Name} imports only its own files, not {url}"
            );
        var path = Uri.UnescapeDataString(url.AbsolutePath).TrimStart('/');
        string? text;
        try
        {
            text = await git.ReadAsync(access, commit, path, cancellationToken);
        }
        catch (GitException e)
        {
            throw new ImportFetchException(e.Message);
        }
        return text is null
            ? throw new ImportFetchException($"{path} does not exist at {commit[..12]}")
            : new FetchedImport(text, $"{access.Name}@{commit[..12]}:{path}");
    }
}
