namespace Hearth.Workflows.Loading;

/// <summary>Where a file came from: a local path (file URI) or a remote URL, plus the name used in messages.</summary>
internal sealed record ImportSource(Uri Uri, string DisplayName)
{
    public bool IsLocal => Uri.IsFile;

    public string Key => Uri.AbsoluteUri;

    public static ImportSource ForLocalFile(string path) => new(new Uri(Path.GetFullPath(path)), path);
}
