namespace Hearth.Workflows.Imports;

/// <summary>Fetches the text of a remote import (<c>from "https://…"</c>). Local paths never come here.</summary>
public interface IImportFetcher
{
    /// <summary>
    /// Returns the file's text, or throws <see cref="ImportFetchException"/> with a reason a person understands.
    /// </summary>
    Task<FetchedImport> FetchAsync(Uri url, CancellationToken cancellationToken);
}
