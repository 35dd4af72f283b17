namespace Hearth.Workflows.Imports;

/// <summary>An import's text and the name its diagnostics use (the URL, or the local file it was mapped to).</summary>
public sealed record FetchedImport(string Text, string DisplayName);
