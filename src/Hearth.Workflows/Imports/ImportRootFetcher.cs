namespace Hearth.Workflows.Imports;

/// <summary>
/// Offline resolution for checking files with remote imports: an http(s) URL is mapped to the file in
/// <see cref="Directory"/> named by the URL's last path segment (<c>https://x/ci/lint.kdl</c> → <c>DIR/lint.kdl</c>).
/// </summary>
public sealed class ImportRootFetcher : IImportFetcher
{
    private readonly long _maxBytes;

    public ImportRootFetcher(string directory, ImportLimits? limits = null)
    {
        Directory = Path.GetFullPath(directory ?? throw new ArgumentNullException(nameof(directory)));
        _maxBytes = (limits ?? ImportLimits.Default).MaxBytes;
    }

    public string Directory { get; }

    public Task<FetchedImport> FetchAsync(Uri url, CancellationToken cancellationToken)
    {
        if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
        {
            throw new ImportFetchException($"cannot map a {url.Scheme} URL to the import root");
        }

        string name = Uri.UnescapeDataString(url.Segments.LastOrDefault() ?? string.Empty);
        if (name.Length == 0 || name.EndsWith('/') || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
        {
            throw new ImportFetchException($"the URL has no file name to look up in the import root {Directory}");
        }

        string path = Path.Combine(Directory, name);
        return Task.FromResult(new FetchedImport(Utf8Text.ReadFile(path, _maxBytes), path));
    }
}
