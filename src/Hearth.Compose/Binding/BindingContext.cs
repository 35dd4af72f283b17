using Hearth.Compose.Loading;
using Hearth.Compose.Yaml;

namespace Hearth.Compose.Binding;

/// <summary>What binding needs beyond the tree: the project name, variables, files and where errors go.</summary>
internal sealed record BindingContext(
    string ProjectName,
    Func<string, string?> Lookup,
    IComposeFileSystem FileSystem,
    bool ResolveEnvFiles,
    List<ComposeError> Errors
)
{
    /// <summary>Resolves a path relative to the file the node came from; <c>~</c> is the HOME directory.</summary>
    public string ResolvePath(YNode from, string path)
    {
        if (path.StartsWith('~') && Lookup("HOME") is { } home)
            path = home + path[1..];
        if (path.Contains("://") || path.StartsWith("git@", StringComparison.Ordinal))
            return path;
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(from.Mark.File) ?? "/", path));
    }

    public void Error(YNode at, string path, string message) => Errors.Add(ComposeError.At(at.Mark, path, message));
}
